// Forms of the review pages send JSON to the API (/api/v1) they name in data-api, with the CSRF token, and
// reload the page on success; on failure the API's message (it names the field) is shown beside the button, in
// the reader's language where the API gives it in it (`shown`).
"use strict";

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

function convert(el) {
  const value = el.value.trim();
  switch (el.dataset.type) {
    case "list": return value.split(",").map((s) => s.trim()).filter(Boolean);
    case "ints": return value.split(",").map((s) => s.trim()).filter(Boolean).map(Number);
    case "int": return value === "" ? null : Number(value);
    default: return value === "" && "optional" in el.dataset ? null : el.value;
  }
}

function assign(target, name, value) {
  const parts = name.split(".");
  let node = target;
  for (const part of parts.slice(0, -1)) node = node[part] = node[part] || {};
  node[parts[parts.length - 1]] = value;
}

function serialise(form) {
  const body = {};
  const rows = new Map();
  for (const el of form.elements) {
    if (!el.name || el.disabled || el.type === "file" || el.tagName === "BUTTON") continue;
    if (el.type === "radio" && !el.checked) continue;
    if (el.type === "checkbox" && "list" in el.dataset) { // a group of boxes: the list of the values checked
      body[el.name] = body[el.name] || [];
      if (el.checked) body[el.name].push(el.value);
      continue;
    }
    const value = el.type === "checkbox" ? el.checked : convert(el);
    const row = el.closest("[data-row]");
    if (row) {
      if (!rows.has(row)) rows.set(row, {});
      rows.get(row)[el.name] = value;
    } else {
      assign(body, el.name, value);
    }
  }
  for (const [row, values] of rows) {
    const key = row.dataset.row;
    body[key] = body[key] || [];
    if (Object.values(values).some((v) => v !== "" && v !== null && !(Array.isArray(v) && !v.length))
        && values.criterion !== "") body[key].push(values);
  }
  return body;
}

// The API's error: `shown`, its detail in the reader's language (the API adds it for a reader of another language
// than English), else the English `detail` itself.
function message(data, status) {
  if (data && data.error) {
    const text = "shown" in data.error ? data.error.shown : data.error.detail;
    return typeof text === "string" ? text : JSON.stringify(text);
  }
  if (data && Array.isArray(data.detail)) {
    return data.detail.map((d) => `${(d.loc || []).filter((p) => p !== "body").join(".")}: ${d.msg}`).join("; ");
  }
  // no JSON error to show: in the page's language (the body's data-words, base.html)
  const words = JSON.parse(document.body.dataset.words || "{}");
  return (words.request_failed || "request failed (%(status)s)").replace("%(status)s", String(status));
}

async function send(url, method, body, isJson) {
  const headers = { "X-CSRF-Token": csrfToken(), Accept: "application/json" };
  if (isJson) headers["Content-Type"] = "application/json";
  const response = await fetch(url, { method, headers, body: isJson ? JSON.stringify(body) : body,
                                      credentials: "same-origin" });
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new Error(message(data, response.status));
  return data;
}

document.addEventListener("submit", async (event) => {
  const form = event.target.closest("form[data-api]");
  if (!form) return;
  event.preventDefault();
  const output = form.querySelector("output.form-error");
  const button = form.querySelector("button");
  if (output) output.textContent = "";
  if (button) button.disabled = true;
  try {
    const body = serialise(form);
    for (const input of form.querySelectorAll("input[type=file][data-upload]")) {
      if (!input.files.length) continue;
      const upload = new FormData();
      upload.append("file", input.files[0]);
      const stored = await send(input.dataset.upload, "POST", upload, false);
      body[input.dataset.field] = stored.sha256;
    }
    await send(form.dataset.api, form.dataset.method || "POST", body, true);
    window.location.reload();
  } catch (error) {
    if (output) output.textContent = error.message;
    if (button) button.disabled = false;
  }
});
