/* Map preview of a GeoJSON resource: the features' outlines on a blank background.
   No tile layer: nothing is fetched from another server, so the page works on a closed
   network. The data comes from the page's <script type="application/json"> element
   (the CSP forbids inline scripts); without JavaScript the table of properties remains. */
(function () {
  "use strict";
  var box = document.getElementById("mapa");
  if (!box || typeof L === "undefined") { return; }
  var source = document.getElementById(box.getAttribute("data-source"));
  if (!source) { return; }
  var data;
  try { data = JSON.parse(source.textContent); } catch (error) { return; }
  box.hidden = false;
  var map = L.map(box, { attributionControl: false, zoomSnap: 0.25 });
  var layer = L.geoJSON(data, {
    style: function () { return { color: "#00546b", weight: 2, fillColor: "#00546b", fillOpacity: 0.15 }; },
    // Circles instead of marker icons: no image to load, and visible on a blank background.
    pointToLayer: function (feature, latlng) {
      return L.circleMarker(latlng, { radius: 5, color: "#00546b", weight: 2, fillOpacity: 0.6 });
    },
    onEachFeature: function (feature, featureLayer) {
      var props = feature && feature.properties;
      if (!props || typeof props !== "object") { return; }
      var keys = Object.keys(props).slice(0, 8);
      if (!keys.length) { return; }
      var list = document.createElement("dl");
      keys.forEach(function (key) {
        var dt = document.createElement("dt");
        dt.textContent = key;
        var dd = document.createElement("dd");
        var value = props[key];
        dd.textContent = value === null || value === undefined ? "" :
          (typeof value === "object" ? JSON.stringify(value) : String(value));
        list.appendChild(dt);
        list.appendChild(dd);
      });
      featureLayer.bindPopup(list);
    }
  }).addTo(map);
  var bounds = layer.getBounds();
  if (bounds.isValid()) {
    map.fitBounds(bounds, { padding: [12, 12] });
  } else {
    map.setView([20.66, -103.35], 8); // nothing to draw: Jalisco, at a regional zoom
  }
})();
