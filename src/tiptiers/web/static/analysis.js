// Consistency page: click (or Enter on) a point of the scatter to show only that country's pairs.
(function () {
  "use strict";
  var chart = document.getElementById("scatter");
  var table = document.getElementById("pairs");
  if (!chart || !table) { return; }
  var rows = Array.prototype.slice.call(table.querySelectorAll("tbody tr[data-iso3]"));
  var points = Array.prototype.slice.call(chart.querySelectorAll(".pt"));

  function show(iso3) {
    rows.forEach(function (row) {
      var hit = !iso3 || row.getAttribute("data-iso3").split(" ").indexOf(iso3) >= 0;
      row.classList.toggle("hidden", !hit);
    });
    points.forEach(function (p) {
      var me = p.getAttribute("data-iso3") === iso3;
      p.classList.toggle("selected", !!iso3 && me);
      p.classList.toggle("dimmed", !!iso3 && !me);
    });
    table.setAttribute("data-filter", iso3 || "");
  }

  points.forEach(function (p) {
    p.addEventListener("click", function () { show(p.getAttribute("data-iso3")); });
    p.addEventListener("keydown", function (e) {
      if (e.key === "Enter" || e.key === " ") { e.preventDefault(); show(p.getAttribute("data-iso3")); }
    });
  });
  var all = document.getElementById("show-all");
  if (all) { all.addEventListener("click", function () { show(""); }); }
}());
