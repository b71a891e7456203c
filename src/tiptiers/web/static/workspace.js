// The analyst's rating editor: each change is saved at once (PUT /api/v1/assessments, one request per change,
// carrying the version it started from), and the tier, its reasons and the way up are redrawn by the engine, drawn
// in the page's language (POST /determinations?view=workspace, engine.js). Without this script the form posts
// every rating in one go.
"use strict";
(function () {
  const form = document.getElementById("rating-editor");
  if (!form) return;
  const status = document.getElementById("save-status");
  const target = document.getElementById("tier");
  const { words, fill, redraw } = window.tiptiersDetermination;
  const say = words(form);
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

  function message(data, status) { // the detail in the reader's language (`shown`) where the API gives it
    if (data && data.error) {
      const text = "shown" in data.error ? data.error.shown : data.error.detail;
      return typeof text === "string" ? text : JSON.stringify(text);
    }
    if (data && Array.isArray(data.detail)) return data.detail.map((d) => d.msg).join("; ");
    return fill(say.request_failed, { status: String(status) });
  }

  const problem = (text) => {
    const p = document.createElement("p");
    p.className = "error";
    p.textContent = text;
    return p;
  };

  let asked = 0;
  async function redetermine() {
    const ticket = ++asked;
    const body = { iso3: form.dataset.iso3, year: Number(form.dataset.year), methodology: form.dataset.methodology,
                   ratings: ratings(false), ...signals() };
    try {
      const answer = await redraw(body, "workspace");
      if (ticket !== asked) return; // a newer change is on its way
      if (!answer.ok && !answer.nodes.querySelector("#det-error")) {
        target.replaceChildren(problem(fill(say.not_determined, { detail: String(answer.status) })));
        return;
      }
      target.replaceChildren(answer.nodes); // the tier, or why there is none yet (#det-error)
    } catch (err) {
      if (ticket === asked) target.replaceChildren(problem(fill(say.unreachable, { error: String(err) })));
    }
  }

  // Saves go one at a time, each from the version the previous one returned; changes made meanwhile are saved
  // together by the next one.
  let saving = null;
  let again = false;
  async function save() {
    if (saving) { again = true; return saving; }
    status.textContent = say.saving;
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
        if (!response.ok) { status.textContent = fill(say.failed, { detail: message(data, response.status) }); again = false; return; }
        version.value = data.version;
      } while (again);
      status.textContent = fill(say.saved, { time: new Date().toLocaleTimeString(document.documentElement.lang || undefined) });
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
