// The engine's determination drawn in the page (the country-year page's what-if form, the analyst's workspace), and
// the what-if form of the country-year page: re-determine through the API as ratings change, no reload.
"use strict";
window.tiptiersDetermination = (function () {
  const LABELS = { "1": "Tier 1", "2": "Tier 2", "2WL": "Tier 2 Watch List", "3": "Tier 3", "special": "Special case" };
  const words = (s) => s.replace(/_/g, " ");

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // opts.titles: criterion id -> words; opts.questions: Watch List signal -> words; opts.headings: h3 titles.
  function render(target, d, opts) {
    const titles = (opts && opts.titles) || {};
    const questions = (opts && opts.questions) || {};
    const headings = Boolean(opts && opts.headings);
    target.replaceChildren();
    const result = el("p", { class: "result" }, "Tier: ");
    result.append(el("span", { class: "tier tier-" + d.tier, id: "det-tier", "data-tier": d.tier }, LABELS[d.tier]));
    if (d.computed_tier !== d.tier) {
      result.append(" ", el("span", { class: "computed" }, "(computed by the rules: " + LABELS[d.computed_tier] + ")"));
    }
    target.append(result);
    if (headings) target.append(el("h3", {}, "Why"));
    const reasons = el("ol", { class: "reasons" });
    for (const r of d.reasons) {
      const li = el("li", { "data-rule": r.rule }, r.text + " ");
      li.append(el("small", { class: "ref" }, r.reference));
      reasons.append(li);
    }
    target.append(reasons);
    if (d.decisive_criteria.length) {
      target.append(el("p", { class: "decisive" }, "Decisive: " + d.decisive_criteria.map((c) => titles[c] || c).join(", ")));
    }
    if (!d.path_up) {
      if (headings) target.append(el("p", { class: "path-up" }, "Tier 1: there is no tier above."));
      return;
    }
    const box = el("div", { class: "path-up" });
    if (headings) box.append(el("h3", {}, "The way up"));
    box.append(el("p", {}, "To reach " + LABELS[d.path_up.target_tier] + ":"));
    const list = el("ul");
    for (const c of d.path_up.changes) {
      const name = titles[c.criterion] || c.title + " (" + c.criterion + ")";
      list.append(el("li", {}, name + ": " + words(c.from_level) + " → " + words(c.to_level)));
    }
    for (const [name, value] of Object.entries(d.path_up.signals)) {
      list.append(el("li", {}, (questions[name] || words(name)) + ": " + (value ? "yes" : "no")));
    }
    box.append(list);
    if (d.path_up.note) box.append(el("p", {}, d.path_up.note));
    target.append(box);
  }

  return { LABELS, render, el };
})();

(function () {
  const form = document.getElementById("whatif");
  if (!form) return;
  const target = document.getElementById("determination");
  const status = document.getElementById("whatif-status");
  const { LABELS } = window.tiptiersDetermination;
  // Criteria by their names, as the form's labels give them; never the ids a person cannot read.
  const titles = {};
  for (const label of form.querySelectorAll("label[for^='r-']")) {
    titles[label.htmlFor.slice(2)] = label.textContent.replace(/\s*\(core\)\s*$/, "").trim();
  }
  const render = (d) => window.tiptiersDetermination.render(target, d, { titles });

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
    status.textContent = "Determining…";
    try {
      const response = await fetch("/api/v1/determinations", {
        method: "POST", headers: { "Content-Type": "application/json", Accept: "application/json" }, body: JSON.stringify(payload()),
      });
      const data = await response.json();
      if (ticket !== pending) return; // a newer change is on its way
      if (!response.ok) {
        status.textContent = "Not determined: " + (data.error ? data.error.detail : response.statusText);
        return;
      }
      render(data);
      status.textContent = "Updated: " + LABELS[data.tier] + ".";
    } catch (err) {
      if (ticket === pending) status.textContent = "The server could not be reached: " + err;
    }
  }
  form.addEventListener("change", redetermine);
  form.addEventListener("submit", (event) => { event.preventDefault(); redetermine(); });
})();
