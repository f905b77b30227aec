// The explorer's world map (/explore, mode "map"): Leaflet with a basemap drawn from world-atlas's Natural
// Earth land outlines (TopoJSON, turned into GeoJSON by topojson-client), all served by this server: no tile
// server, no other host. Places are markers with their names, clustered where they would overlap
// (leaflet.markercluster); lines from the home city are styled by partnership type. Every name reaches the
// page as text (textContent); the words of the controls come from explore.js, which owns the catalogue.
"use strict";

window.hkiMap = (function () {
  const LAND_URL = "/static/vendor/world-atlas/land-50m.json";
  let land = null;  // one fetch for every map on the page

  async function loadLand() {
    if (!land) {
      land = fetch(LAND_URL).then((r) => {
        if (!r.ok) throw new Error(`${r.status} ${LAND_URL}`);
        return r.json();
      }).then((topology) => outlines(topojson.feature(topology, topology.objects.land)));
    }
    return land;
  }

  // Rings that cross the antimeridian jump from 180° to -180° (Chukotka, Fiji); drawn as they are, such a
  // jump is an edge across the whole world. Each is unwrapped into one continuous ring and drawn twice,
  // once shifted by 360°, so both ends of the world show their coast. Antarctica is left out: no partner is
  // there, and the Mercator projection stretches it into a band. Nothing else is clipped or cut.
  function outlines(geojson) {
    const polygons = [];
    const geometries = geojson.type === "FeatureCollection" ? geojson.features.map((f) => f.geometry) : [geojson.geometry];
    for (const g of geometries) {
      const parts = g.type === "Polygon" ? [g.coordinates] : g.type === "MultiPolygon" ? g.coordinates : [];
      for (const polygon of parts) {
        if (Math.max(...polygon[0].map((p) => p[1])) < -60) continue;
        const rings = polygon.map(unwrap);
        polygons.push(rings);
        const lons = rings[0].map((p) => p[0]);
        if (Math.max(...lons) > 180) polygons.push(rings.map((r) => r.map(([x, y]) => [x - 360, y])));
        else if (Math.min(...lons) < -180) polygons.push(rings.map((r) => r.map(([x, y]) => [x + 360, y])));
      }
    }
    return { type: "Feature", properties: {}, geometry: { type: "MultiPolygon", coordinates: polygons } };
  }

  function unwrap(ring) {
    const out = [];
    let shift = 0;
    ring.forEach(([lon, lat], i) => {
      if (i) {
        const before = ring[i - 1][0];
        if (lon - before > 180) shift -= 360;
        else if (before - lon > 180) shift += 360;
      }
      out.push([lon + shift, lat]);
    });
    return out;
  }

  function textElement(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    node.textContent = text;
    return node;
  }

  // create(container, words): words = { zoomIn, zoomOut, attribution, cluster(n, names) }
  function create(container, words) {
    const map = L.map(container, { zoomSnap: 0.25, minZoom: 1, maxZoom: 9, worldCopyJump: false,
                                   zoomControl: false, attributionControl: false, keyboard: true });
    L.control.zoom({ zoomInTitle: words.zoomIn, zoomOutTitle: words.zoomOut }).addTo(map);
    const credit = L.control({ position: "bottomright" });
    credit.onAdd = () => textElement("div", "leaflet-control-attribution ex-credit", words.attribution);
    credit.addTo(map);
    map.setMaxBounds([[-75, -400], [85, 400]]);
    const renderer = L.canvas({ padding: 0.5 });
    const landReady = loadLand().then((shape) => {
      L.geoJSON(shape, { renderer, interactive: false,
                         style: { color: "#8d9aa8", weight: 0.7, fillColor: "#f4f1e8", fillOpacity: 1 } }).addTo(map);
    });
    const lineLayer = L.layerGroup().addTo(map);
    const clusters = L.markerClusterGroup({
      maxClusterRadius: 46, showCoverageOnHover: false, spiderfyOnMaxZoom: true, zoomToBoundsOnClick: true,
      iconCreateFunction(cluster) {
        const children = cluster.getAllChildMarkers();
        const names = children.map((m) => m.options.name).sort((a, b) => a.localeCompare(b));
        const home = children.find((m) => m.options.home);
        const icon = document.createElement("div");
        icon.title = words.cluster(names.length, names.join(", "));
        if (home) {  // the home city stays visible as itself: its mark, its name and how many are around it
          icon.append(textElement("span", "dot", ""), textElement("span", "name", `${home.options.name} +${names.length - 1}`));
          return L.divIcon({ html: icon, className: "ex-cluster ex-pin home", iconSize: [18, 18] });
        }
        icon.append(textElement("span", "count", String(names.length)));
        return L.divIcon({ html: icon, className: "ex-cluster", iconSize: [34, 34] });
      },
    });
    map.addLayer(clusters);
    const markers = new Map();
    let onSelect = () => {};

    function pin(place) {
      const body = document.createElement("div");
      body.append(textElement("span", "dot", ""), textElement("span", "name", place.label));
      const icon = L.divIcon({ html: body, className: "ex-pin" + (place.home ? " home" : "") + (place.selected ? " selected" : ""),
                               iconSize: place.home ? [18, 18] : [12, 12] });
      const marker = L.marker([place.lat, place.lon], { icon, keyboard: false, name: place.label, riseOnHover: true,
                                                        home: Boolean(place.home), zIndexOffset: place.home ? 1000 : 0 });
      marker.on("click", () => onSelect(place.id));
      return marker;
    }

    // show({ places: [{id, lat, lon, label, home, selected}], lines: [{to, colour, dash, width, title}], onSelect })
    function show(view) {
      onSelect = view.onSelect || onSelect;
      clusters.clearLayers();
      lineLayer.clearLayers();
      markers.clear();
      const at = new Map(view.places.map((p) => [p.id, p]));
      const home = view.places.find((p) => p.home);
      for (const line of view.lines) {
        const other = at.get(line.to);
        if (!home || !other) continue;
        const drawn = L.polyline([[home.lat, home.lon], [other.lat, other.lon]],
          { color: line.colour, weight: line.width, dashArray: line.dash || null, opacity: 0.9, interactive: true });
        drawn.bindTooltip(textElement("span", "", line.title), { sticky: true });
        lineLayer.addLayer(drawn);
      }
      const loose = [];
      for (const place of view.places) {
        const marker = pin(place);
        markers.set(place.id, marker);
        loose.push(marker);
      }
      clusters.addLayers(loose);
      window.requestAnimationFrame(declutter);
    }

    // Names that would cover another name, a dot or a cluster move to the left of their dot, then above or
    // below it; a name that fits nowhere is left out (the dot stays, the list beside the map names it).
    // The home city is placed first, then places in the order of the list.
    const PLACES = ["right", "left", "above", "below"];
    function declutter() {
      const shown = [...markers.values()].filter((m) => m.getElement() && map.hasLayer(m));
      shown.sort((a, b) => (b.options.zIndexOffset || 0) - (a.options.zIndexOffset || 0));
      const taken = [];
      const box = (node) => node.getBoundingClientRect();
      const hits = (r) => taken.some((t) => r.left < t.right && r.right > t.left && r.top < t.bottom && r.bottom > t.top);
      for (const m of shown) taken.push(box(m.getElement().querySelector(".dot")));
      for (const c of container.querySelectorAll(".ex-cluster")) {
        taken.push(box(c.classList.contains("home") ? c.querySelector(".dot") : c));
        if (c.classList.contains("home")) taken.push(box(c.querySelector(".name")));  // the home city's name first
      }
      for (const m of shown) {
        const icon = m.getElement();
        const name = icon.querySelector(".name");
        let placed = false;
        for (const where of PLACES) {
          icon.classList.remove(...PLACES.map((w) => "name-" + w), "name-none");
          icon.classList.add("name-" + where);
          const r = box(name);
          if (!hits(r)) { taken.push(r); placed = true; break; }
        }
        if (!placed) { icon.classList.remove(...PLACES.map((w) => "name-" + w)); icon.classList.add("name-none"); }
      }
    }
    map.on("zoomend moveend", () => window.requestAnimationFrame(declutter));
    clusters.on("animationend", () => window.requestAnimationFrame(declutter));

    function fit(ids, maxZoom) {
      const points = ids.map((id) => markers.get(id)).filter(Boolean).map((m) => m.getLatLng());
      map.invalidateSize(false);
      if (!points.length) { map.setView([30, 10], 1.5, { animate: false }); return; }
      map.fitBounds(L.latLngBounds(points), { paddingTopLeft: [30, 30], paddingBottomRight: [110, 30], maxZoom: maxZoom || 5, animate: false });
    }

    // Where a place is drawn now, in page coordinates: its own marker, or the cluster that holds it.
    function position(id) {
      const marker = markers.get(id);
      if (!marker) return null;
      const shown = clusters.getVisibleParent(marker) || marker;
      const point = map.latLngToContainerPoint(shown.getLatLng());
      const box = container.getBoundingClientRect();
      return { x: box.left + point.x, y: box.top + point.y, clustered: shown !== marker };
    }

    // The ids of places drawn as markers of their own (not inside a cluster) in the current view.
    function unclustered() {
      const bounds = map.getBounds();
      return [...markers.entries()].filter(([, m]) => {
        const shown = clusters.getVisibleParent(m);
        return shown === m && bounds.contains(m.getLatLng());
      }).map(([id]) => id);
    }

    // The ids of places whose name is shown now (not left out for want of room).
    function named() {
      return [...markers.entries()].filter(([, m]) => m.getElement() && map.hasLayer(m)
        && !m.getElement().classList.contains("name-none")).map(([id]) => id);
    }

    return { map, show, fit, position, unclustered, named, declutter, ready: landReady,
             resize: () => map.invalidateSize(false) };
  }

  return { create };
})();
