// Cables: highlight the sentences that carry a reaction code; search: filters submit when changed.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("button.code")) {
    button.addEventListener("click", () => {
      const on = button.getAttribute("aria-pressed") !== "true";
      for (const other of document.querySelectorAll("button.code")) other.setAttribute("aria-pressed", "false");
      button.setAttribute("aria-pressed", on ? "true" : "false");
      let first = null;
      for (const s of document.querySelectorAll(".sentence")) {
        const codes = (s.dataset.codes || "").split(" ");
        const hit = on && codes.includes(button.dataset.code);
        s.classList.toggle("highlight", hit);
        if (hit && !first) first = s;
      }
      if (first) first.scrollIntoView({ block: "center" });
    });
  }
  for (const select of document.querySelectorAll("form.search select.autosubmit")) {
    select.addEventListener("change", () => select.form.submit());
  }
});
