// Every page: the menu folds behind a button on phones, and a wide table scrolls inside its own box. No library.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var toggle = document.querySelector("header.site button.menu-toggle");
  var menu = document.getElementById("site-menu");
  if (toggle && menu) {
    toggle.hidden = false;
    menu.classList.add("collapsed");
    toggle.addEventListener("click", function () {
      var open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      menu.classList.toggle("collapsed", !open);
    });
  }
  // The words this script writes, in the page's language (JSON in the body's data-words; English without it).
  var words = JSON.parse((document.body && document.body.dataset.words) || "{}");
  var tableWord = words.table || "Table";
  var scrolls = words.scrolls || "%(name)s (scrolls sideways)";
  function label(table) {
    var caption = table.querySelector("caption");
    if (caption) { return caption.textContent.trim(); }
    var el = table.parentElement;
    while (el && el !== document.body) {
      var heading = el.querySelector("h1, h2, h3");
      if (heading) { return heading.textContent.trim(); }
      el = el.parentElement;
    }
    return tableWord;
  }
  function wrap() {
    document.querySelectorAll("main table").forEach(function (table) {
      var box = table.parentElement;
      if (!box.classList.contains("table-scroll")) {
        box = document.createElement("div");
        box.className = "table-scroll";
        table.parentNode.insertBefore(box, table);
        box.appendChild(table);
      }
      // A box that scrolls must be reachable by keyboard, and named for the screen reader that lands on it.
      if (box.scrollWidth > box.clientWidth + 1) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", scrolls.replace("%(name)s", label(table)));
      } else {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
      }
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", wrap);
  } else {
    wrap();
  }
  window.addEventListener("resize", wrap);
}());
