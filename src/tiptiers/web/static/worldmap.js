// The world map: hover or focus a country for its tier, click it for its narrative. No library, no network.
(function () {
  "use strict";
  var map = document.querySelector("svg.world-map");
  var info = document.getElementById("map-info");
  if (!map || !info) { return; }
  var tierLabels = { "1": "Tier 1", "2": "Tier 2", "2WL": "Tier 2 Watch List", "3": "Tier 3", "special": "Special case" };
  function describe(group) {
    var tier = group.getAttribute("data-tier");
    return group.getAttribute("data-name") + ": " + (tier ? tierLabels[tier] || tier : "not placed this year");
  }
  function countryOf(target) {
    return target && target.closest ? target.closest("g.country") : null;
  }
  map.addEventListener("mouseover", function (event) {
    var group = countryOf(event.target);
    if (group) { info.textContent = describe(group); }
  });
  map.addEventListener("focusin", function (event) {
    var group = event.target.querySelector ? event.target.querySelector("g.country") : null;
    if (group) { info.textContent = describe(group); }
  });
  map.addEventListener("click", function (event) {
    var group = countryOf(event.target);
    if (!group) { return; }
    var previous = map.querySelector("g.country.selected");
    if (previous) { previous.classList.remove("selected"); }
    group.classList.add("selected");
    info.textContent = describe(group);
  });
}());
