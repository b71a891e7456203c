// Consistency page: click (or Enter on) a point of the scatter to show that country's pairs. The table is paged on
// the server, so the point asks the server for them all (?country=ISO3, the filter form's own field) rather than
// hiding rows of the one page shown; the chosen point stays marked.
(function () {
  "use strict";
  var chart = document.getElementById("scatter");
  if (!chart) { return; }
  var points = Array.prototype.slice.call(chart.querySelectorAll(".pt"));
  var params = new URLSearchParams(window.location.search);
  var chosen = (params.get("country") || "").toUpperCase();

  function go(iso3) {
    var next = new URLSearchParams(window.location.search);
    next.delete("page");
    if (iso3) { next.set("country", iso3); } else { next.delete("country"); }
    var query = next.toString();
    window.location.search = query ? "?" + query : "";
  }

  points.forEach(function (p) {
    var iso3 = p.getAttribute("data-iso3");
    if (chosen) {
      p.classList.toggle("selected", iso3 === chosen);
      p.classList.toggle("dimmed", iso3 !== chosen);
    }
    p.addEventListener("click", function () { go(iso3); });
    p.addEventListener("keydown", function (e) {
      if (e.key === "Enter" || e.key === " ") { e.preventDefault(); go(iso3); }
    });
  });
  var all = document.getElementById("show-all");
  if (all) { all.addEventListener("click", function () { go(""); }); }
}());
