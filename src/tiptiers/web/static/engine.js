// The engine's determination redrawn in the page (the country-year page's what-if form, the analyst's workspace) as
// ratings change, no reload: POST /determinations answers with the determination drawn as the page draws it, in the
// page's language (the JSON API, POST /api/v1/determinations, stays English). The words the scripts write come
// from the page, in its language too: JSON in the form's data-words.
"use strict";
window.tiptiersDetermination = (function () {
  const words = (element) => JSON.parse((element && element.dataset.words) || "{}");
  // "Updated: %(tier)s." with { tier: "Tier 3" }, as gettext's messages are written.
  const fill = (message, values) => (message || "").replace(/%\((\w+)\)s/g, (all, key) => (key in values ? values[key] : all));

  // POST the assessment; the answer's HTML as nodes, and whether the engine determined a tier. Logged in, the
  // session's CSRF token goes with it (<meta name="csrf-token">), as every POST with a session cookie needs.
  async function redraw(body, view) {
    const token = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
    const response = await fetch("/determinations?view=" + view, {
      method: "POST", credentials: "same-origin", body: JSON.stringify(body),
      headers: { "Content-Type": "application/json", Accept: "text/html", ...(token ? { "X-CSRF-Token": token } : {}) },
    });
    const fragment = document.createElement("template");
    fragment.innerHTML = await response.text();
    return { ok: response.ok, status: response.status, nodes: fragment.content };
  }

  return { words, fill, redraw };
})();

(function () {
  const form = document.getElementById("whatif");
  if (!form) return;
  const target = document.getElementById("determination");
  const status = document.getElementById("whatif-status");
  const { words, fill, redraw } = window.tiptiersDetermination;
  const say = words(form);

  function payload() {
    const body = { iso3: form.dataset.iso3, year: Number(form.dataset.year), methodology: form.dataset.methodology, ratings: [] };
    for (const select of form.querySelectorAll("select[data-rating]")) {
      if (select.value) body.ratings.push({ criterion: select.name, level: select.value, evidence: [] });
    }
    for (const box of form.querySelectorAll("input[data-signal]")) body[box.name] = box.checked;
    return body;
  }

  let pending = 0;
  async function redetermine() {
    const ticket = ++pending;
    status.textContent = say.determining;
    try {
      const answer = await redraw(payload(), "country");
      if (ticket !== pending) return; // a newer change is on its way
      if (!answer.ok) {
        const error = answer.nodes.querySelector("#det-error");
        status.textContent = fill(say.failed, { detail: error ? error.textContent : String(answer.status) });
        return;
      }
      target.replaceChildren(answer.nodes);
      const tier = target.querySelector("#det-tier");
      status.textContent = fill(say.updated, { tier: tier ? tier.textContent : "" });
    } catch (err) {
      if (ticket === pending) status.textContent = fill(say.unreachable, { error: String(err) });
    }
  }
  form.addEventListener("change", redetermine);
  form.addEventListener("submit", (event) => { event.preventDefault(); redetermine(); });
})();
