// The world map: hover or focus a country for its tier, click it for its narrative. No library, no network.
// The words shown are the country's own tooltip (its <title>), which the server wrote in the page's language.
(function () {
  "use strict";
  var map = document.querySelector("svg.world-map");
  var info = document.getElementById("map-info");
  if (!map || !info) { return; }
  function describe(group) {
    var title = group.querySelector("title");
    return title ? title.textContent : group.getAttribute("data-name");
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
