// The analyst's rating editor: each change is saved at once (PUT /api/v1/assessments, one request per change,
// carrying the version it started from), and the tier, its reasons and the way up are redrawn from the engine's
// what-if endpoint (POST /api/v1/determinations). Without this script the form posts every rating in one go.
"use strict";
(function () {
  const form = document.getElementById("rating-editor");
  if (!form) return;
  const status = document.getElementById("save-status");
  const target = document.getElementById("tier");
  const titles = JSON.parse(form.dataset.titles || "{}");
  const { el, render: draw } = window.tiptiersDetermination;
  const QUESTIONS = {};
  for (const box of form.querySelectorAll("input[data-signal]")) {
    QUESTIONS[box.dataset.signal] = box.parentElement.textContent.trim();
  }
  const inWords = (text) => text.replace(/\b(?:standard|criterion)_\d+\b/g, (id) => titles[id] || id);
  const token = () => (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

  function ratings(withEvidence) {
    const out = [];
    for (const select of form.querySelectorAll("select[data-rating]")) {
      if (!select.value) continue;
      const id = select.dataset.rating;
      const evidence = [...form.querySelectorAll(`input[name="evidence-${id}"]:checked`)].map((b) => Number(b.value));
      const note = form.elements[`note-${id}`];
      out.push({ criterion: id, level: select.value, evidence: withEvidence ? evidence : [],
                 note: note ? note.value : "" });
    }
    return out;
  }

  function signals() {
    const out = {};
    for (const box of form.querySelectorAll("input[data-signal]")) out[box.dataset.signal] = box.checked;
    return out;
  }

  function message(data, status) {
    if (data && data.error) return typeof data.error.detail === "string" ? data.error.detail : JSON.stringify(data.error.detail);
    if (data && Array.isArray(data.detail)) return data.detail.map((d) => d.msg).join("; ");
    return `request failed (${status})`;
  }

  const render = (d) => draw(target, d, { titles, questions: QUESTIONS, headings: true });

  let asked = 0;
  async function redetermine() {
    const ticket = ++asked;
    const body = { iso3: form.dataset.iso3, year: Number(form.dataset.year), methodology: form.dataset.methodology,
                   ratings: ratings(false), ...signals() };
    try {
      const response = await fetch("/api/v1/determinations", {
        method: "POST", headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": token() },
        body: JSON.stringify(body), credentials: "same-origin" });
      const data = await response.json().catch(() => null);
      if (ticket !== asked) return; // a newer change is on its way
      if (!response.ok) {
        target.replaceChildren(el("p", { class: "error", id: "det-error" }, "No tier yet: " + inWords(message(data, response.status))));
        return;
      }
      render(data);
    } catch (err) {
      if (ticket === asked) target.replaceChildren(el("p", { class: "error" }, "The server could not be reached: " + err));
    }
  }

  // Saves go one at a time, each from the version the previous one returned; changes made meanwhile are saved
  // together by the next one.
  let saving = null;
  let again = false;
  async function save() {
    if (saving) { again = true; return saving; }
    status.textContent = "Saving…";
    saving = (async () => {
      do {
        again = false;
        const version = form.elements.version;
        const body = { ratings: ratings(true), narrative: form.elements.narrative.value, signals: signals(),
                       version: Number(version.value) };
        const response = await fetch(form.dataset.api, {
          method: "PUT", headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": token() },
          body: JSON.stringify(body), credentials: "same-origin" });
        const data = await response.json().catch(() => null);
        if (!response.ok) { status.textContent = "Not saved: " + message(data, response.status); again = false; return; }
        version.value = data.version;
      } while (again);
      status.textContent = "Saved " + new Date().toLocaleTimeString() + ".";
    })().finally(() => { saving = null; });
    return saving;
  }

  form.addEventListener("change", (event) => {
    const box = event.target.closest("fieldset.rating");
    if (box) {
      const count = box.querySelector("[data-cited-count]");
      if (count) count.textContent = box.querySelectorAll("input[type=checkbox]:checked").length;
    }
    save();
    if (!event.target.matches("textarea[name=narrative], input[name^=note-]")) redetermine();
  });
  form.addEventListener("submit", (event) => { event.preventDefault(); save(); redetermine(); });
})();
