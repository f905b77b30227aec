// The visual explorer (/explore). Data comes as JSON from /api/explore/…, /api/analysis/… and
// /api/search; every text from the data reaches the page through textContent (DOM) or is drawn on the
// canvas by vis-network. Tooltips are plain strings, which vis-network shows as text (innerText).
// The view lives in the URL (mode, focus, filters, selection, connection), so a copied link restores it; so does
// the world layer's (static/explore-world.js hands its part over: keepInAddress). With the layer on, the search
// box finds its places too (window.hkiWorld.search).
// The map mode draws with Leaflet (static/map.js); the other modes with vis-network.
"use strict";

(function explorer() {
  const root = document.getElementById("explorer");
  if (!root || typeof vis === "undefined") return;
  const started = performance.now();
  const lang = root.dataset.lang === "en" ? "en" : "de";
  // The page's words, msgid → text, from the gettext catalogues (api/web/locales: explore.*), embedded by the
  // page as a JSON data block; _() is the lookup (and what `pybabel extract` finds).
  const T = JSON.parse(document.getElementById("explore-text").textContent);
  const _ = (msgid) => (Object.prototype.hasOwnProperty.call(T, msgid) ? T[msgid] : msgid);
  const $ = (id) => document.getElementById(id);
  const MODES = ["overview", "network", "communities", "sdg", "map", "timeline"];
  const GRAPH_MODES = new Set(["network", "communities", "sdg"]);  // where a focus fades the rest
  const MODE_NAMES = { overview: _("explore.mode_overview"), network: _("explore.mode_network"),
                       communities: _("explore.mode_communities"), sdg: _("explore.mode_sdg"),
                       map: _("explore.mode_map"), timeline: _("explore.mode_timeline") };
  const HINTS = { overview: _("explore.hint_overview"), network: _("explore.hint_network"),
                  communities: _("explore.hint_communities"), sdg: _("explore.hint_sdg"), map: _("explore.hint_map"),
                  timeline: _("explore.hint_timeline") };
  const SIZE_HINTS = { hubs: _("explore.size_hubs_hint"), brokers: _("explore.size_brokers_hint"),
                       influence: _("explore.size_influence_hint") };
  const PTYPE_STYLE = {  // by the last segment of the partnership type's IRI
    "twin-city": { colour: "#1d4e89", dashes: false, dash: "", width: 3, rank: 3, key: "solid" },
    "friendship": { colour: "#2e7d32", dashes: [9, 6], dash: "9 6", width: 2.5, rank: 2, key: "dashed" },
    "project-partnership": { colour: "#b35c00", dashes: [2, 5], dash: "2 6", width: 2.5, rank: 1, key: "dotted" },
  };
  const OTHER_PTYPE = { colour: "#6f7780", dashes: [4, 4], dash: "4 4", width: 2, rank: 0, key: "dashed" };
  const MEMBERSHIP_STYLE = { colour: "#7b4fb5", dashes: false, width: 2 };
  const UNCONFIRMED_STYLE = { colour: "#7b4fb5", dashes: [3, 5], width: 2 };
  const SDG_COLOURS = ["#E5243B", "#DDA63A", "#4C9F38", "#C5192D", "#FF3A21", "#26BDE2", "#FCC30B", "#A21942",
                       "#FD6925", "#DD1367", "#FD9D24", "#BF8B2E", "#3F7E44", "#0A97D9", "#56C02B", "#00689D", "#19486A"];
  const COMMUNITY_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
                             "#17becf", "#bcbd22", "#393b79"];
  const FADED = { background: "#eef1f4", border: "#dde2e8" };
  const PATH_COLOUR = "#f0a800";

  // ------------------------------------------------------------------ small helpers
  const { el } = window.hkiDom;  // static/dom.js
  const fmt = (template, values) => template.replace(/\{(\w+)\}/g, (m, k) => (k in values ? String(values[k]) : m));
  const number = (n) => Number(n).toLocaleString(lang === "de" ? "de-DE" : "en-GB");
  const label = (r) => (r ? (lang === "de" ? r.label_de : r.label_en) || r.id : "");
  const kindOf = (r) => (r ? (lang === "de" ? r.kind_de : r.kind_en) : "");
  const shortLabel = (r) => (r && r[`short_${lang}`]) || label(r);  // a partnership by its partners' names
  const short = (s, n) => (s.length > n ? s.slice(0, n - 1) + "…" : s);
  const tail = (iri) => String(iri).replace(/[/#]+$/, "").split(/[/#]/).pop();
  const ptypeStyle = (iri) => PTYPE_STYLE[tail(iri)] || OTHER_PTYPE;
  const safeHref = (h) => (typeof h === "string" && (/^https?:\/\//i.test(h) || (h.startsWith("/") && !h.startsWith("//"))) ? h : null);
  const clear = (node) => { while (node.firstChild) node.removeChild(node.firstChild); };
  const collator = new Intl.Collator(lang);

  async function getJson(url, options) {
    const response = await fetch(url, options);
    if (!response.ok) {
      const error = new Error(`${response.status} ${url}`);
      error.status = response.status;
      throw error;
    }
    return response.json();
  }

  // ------------------------------------------------------------------ the view's state (= the URL)
  const DEFAULTS = { mode: "overview", focus: "", depth: 1, dir: "both", hide: [], ptype: "", sdg: "", country: "",
                     from: null, to: null, size: "", sel: "", a: "", b: "", path: false, list: false };
  const problems = [];  // values in the address that are not valid: said in the notice, with what is valid
  // The world layer's part of the address ([name, value] pairs, static/explore-world.js), written after the view's
  // own (its country filter is world_country=Q183, apart from this view's country)
  let worldPairs = [];

  function readState() {
    const q = new URLSearchParams(window.location.search);
    const s = { ...DEFAULTS, hide: [] };
    const bad = (name, value, valid) => problems.push(fmt(_("explore.bad_value"), { name, value, valid }));
    if (q.has("mode")) {
      if (MODES.includes(q.get("mode"))) s.mode = q.get("mode");
      else bad("mode", q.get("mode"), MODES.join(", "));
    } else if (q.get("focus") || q.get("path")) {
      s.mode = "network";  // links made before the overview existed open the network
    }
    for (const key of ["focus", "ptype", "sdg", "sel", "a", "b"]) s[key] = q.get(key) || "";
    s.country = q.get("country") || "";
    if (q.has("depth")) {
      const depth = Number(q.get("depth"));
      if ([1, 2, 3].includes(depth)) s.depth = depth; else bad("depth", q.get("depth"), "1, 2, 3");
    }
    if (q.has("dir")) {
      if (["both", "out", "in"].includes(q.get("dir"))) s.dir = q.get("dir"); else bad("dir", q.get("dir"), "both, out, in");
    }
    if (q.get("hide")) s.hide = q.get("hide").split(",").filter(Boolean);
    for (const key of ["from", "to"]) {
      if (!q.has(key)) continue;
      const text = q.get(key);
      if (/^-?\d{1,4}$/.test(text)) s[key] = Number(text); else bad(key, text, _("explore.bad_year"));
    }
    if (q.has("size")) {
      if (["hubs", "brokers", "influence"].includes(q.get("size"))) s.size = q.get("size");
      else bad("size", q.get("size"), "hubs, brokers, influence");
    }
    s.list = q.get("list") === "1";
    s.path = q.get("path") === "1" && Boolean(s.a && s.b);
    return s;
  }

  function stateQuery() {
    const q = new URLSearchParams();
    if (state.mode !== "overview") q.set("mode", state.mode);
    for (const key of ["focus", "ptype", "sdg", "country", "sel", "a", "b", "size"]) if (state[key]) q.set(key, state[key]);
    if (state.focus && state.depth !== 1) q.set("depth", String(state.depth));
    if (state.focus && state.dir !== "both") q.set("dir", state.dir);
    if (state.hide.length) q.set("hide", state.hide.join(","));
    if (state.from !== null) q.set("from", String(state.from));
    if (state.to !== null) q.set("to", String(state.to));
    if (state.path) q.set("path", "1");
    if (state.list) q.set("list", "1");
    for (const [name, value] of worldPairs) q.append(name, value);
    return q;
  }

  function writeState() {
    const q = stateQuery();
    const query = q.toString();
    window.history.replaceState(null, "", window.location.pathname + (query ? "?" + query : ""));
    const other = lang === "de" ? "en" : "de";
    const switcher = $("lang-switch");
    if (switcher) { q.set("lang", other); switcher.setAttribute("href", "/explore?" + q.toString()); }
  }

  let state = readState();

  // Filter values the data does not offer (a country or type that is not there, a year out of range)
  function checkFacets() {
    const f = overview.facets;
    const bad = (name, value, valid) => problems.push(fmt(_("explore.bad_value"), { name, value, valid }));
    if (state.ptype && !f.ptypes.some((p) => p.iri === state.ptype)) {
      bad("ptype", state.ptype, f.ptypes.map((p) => tail(p.iri)).join(", ")); state.ptype = "";
    }
    if (state.country && !f.countries.some((c) => c.iri === state.country)) {
      bad("country", state.country, f.countries.map((c) => tail(c.iri)).join(", ")); state.country = "";
    }
    if (state.sdg && !f.sdgs.some((s) => String(s.n) === state.sdg)) {
      bad("sdg", state.sdg, f.sdgs.length ? `${f.sdgs[0].n}–${f.sdgs[f.sdgs.length - 1].n}` : "–"); state.sdg = "";
    }
    const groups = overview.legend.map((g) => g.key);
    const unknown = state.hide.filter((g) => !groups.includes(g));
    if (unknown.length) { bad("hide", unknown.join(","), groups.join(", ")); state.hide = state.hide.filter((g) => groups.includes(g)); }
    if (f.years) {
      for (const key of ["from", "to"]) {
        if (state[key] !== null && (state[key] < f.years[0] || state[key] > f.years[1])) {
          bad(key, state[key], `${f.years[0]}–${f.years[1]}`); state[key] = null;
        }
      }
    }
  }

  // ------------------------------------------------------------------ data
  const records = new Map();    // IRI → node record (labels in both languages, group, facets)
  const positions = new Map();  // IRI → [x, y] in the network layout
  const edges = new Map();      // edge id → {from, to, predicate, label_de, label_en}
  const loadedNeighbourhoods = new Set();
  let overview = null;
  const cache = { metrics: {}, communities: null, sdg: null, map: null, timeline: null, start: null, path: null };

  function merge(view) {
    for (const r of view.nodes || []) if (!records.has(r.id)) records.set(r.id, r);
    for (const e of view.edges || []) if (!edges.has(e.id)) edges.set(e.id, e);
  }

  async function loadOverview() {
    overview = await getJson("/api/explore/graph");
    merge(overview);
    for (const [id, p] of Object.entries(overview.positions)) positions.set(id, p);
  }

  async function ensureNeighbourhood(iri, depth, dir) {
    if (!overview.truncated && records.has(iri)) return true;
    const key = `${iri}|${depth}|${dir}`;
    if (loadedNeighbourhoods.has(key)) return true;
    try {
      const view = await getJson(`/api/explore/neighbourhood?${new URLSearchParams({ iri, depth, direction: dir })}`);
      if (!view.known) { showNotice(_("explore.not_in_network")); return false; }
      merge(view);
      for (const [id, p] of Object.entries(view.positions)) if (!positions.has(id)) positions.set(id, p);
      loadedNeighbourhoods.add(key);
      if (view.cut) showNotice(fmt(_("explore.cut"), { shown: number(view.nodes.length) }));
      return true;
    } catch (error) {
      showNotice(_("explore.error"));
      return false;
    }
  }

  async function loadModeData(mode) {
    if (mode === "overview" && !cache.start) { cache.start = await getJson("/api/explore/start"); merge(cache.start); }
    if (mode === "sdg" && !cache.sdg) { cache.sdg = await getJson("/api/explore/sdg"); merge(cache.sdg); }
    if (mode === "map" && !cache.map) { cache.map = await getJson("/api/explore/map"); merge(cache.map); }
    if (mode === "timeline" && !cache.timeline) { cache.timeline = await getJson("/api/explore/timeline"); merge(cache.timeline); }
    if (mode === "communities" && !cache.communities) {
      const found = await getJson("/api/analysis/communities?network=full&limit=1000");
      const member = new Map();  // entries alone in their group stay grey: a colour would suggest a group
      found.communities.forEach((c) => { if (c.size > 1) c.members.forEach((m) => member.set(m, c.number)); });
      cache.communities = { list: found.communities, member };
    }
    if (state.size && !cache.metrics[state.size]) {
      const ranking = await getJson(`/api/analysis/${state.size}?network=full&limit=1000`);  // the API pages (50 by default): the largest page
      cache.metrics[state.size] = new Map(ranking.nodes.map((n) => [n.iri, n.score]));
    }
  }

  // ------------------------------------------------------------------ vis-network
  const container = $("ex-network");
  const nodesData = new vis.DataSet();
  const edgesData = new vis.DataSet();
  const network = new vis.Network(container, { nodes: nodesData, edges: edgesData }, {
    autoResize: true,
    physics: false,  // positions come precomputed from the server (seeded layout) or from the mode
    layout: { improvedLayout: false },
    interaction: { hover: true, tooltipDelay: 150, hideEdgesOnDrag: false, keyboard: false, multiselect: false },
    nodes: { shape: "dot", borderWidth: 1.5, font: { size: 13, color: "#1d2733", strokeWidth: 3, strokeColor: "#ffffff" },
             scaling: { min: 7, max: 38, label: { enabled: true, min: 12, max: 22, drawThreshold: 5, maxVisible: 26 } } },
    edges: { smooth: false, color: { color: "#b4bec9", highlight: "#1d2733", hover: "#5b6675" }, width: 1,
             arrows: { to: { enabled: true, scaleFactor: 0.45 } }, font: { size: 10, color: "#5b6675", strokeWidth: 3 },
             selectionWidth: 1.5 },
  });
  let background = null;  // draws the group names (overview) or the axes (timeline) under the nodes
  network.on("beforeDrawing", (ctx) => { if (background) background(ctx); });

  // ------------------------------------------------------------------ the map (Leaflet, static/map.js)
  let worldMap = null;
  function theMap() {
    if (!worldMap) {
      worldMap = window.hkiMap.create($("ex-map"), {
        zoomIn: _("explore.zoom_in"), zoomOut: _("explore.zoom_out"), attribution: _("explore.map_credit"),
        cluster: (n, names) => fmt(_("explore.map_cluster"), { n, names }),
      });
    }
    return worldMap;
  }

  // ------------------------------------------------------------------ what is visible
  const yearsSet = () => state.from !== null || state.to !== null;
  function tieMatches(t) {  // a partnership of a place (or the partnership itself): type and start year
    if (state.ptype && t.ptype !== state.ptype) return false;
    if (yearsSet()) {
      if (t.year === null || t.year === undefined) return false;
      if (state.from !== null && t.year < state.from) return false;
      if (state.to !== null && t.year > state.to) return false;
    }
    return true;
  }

  function passesFilters(r) {
    if (r.home) return true;
    if (state.hide.includes(r.group)) return false;
    if (r.ties && (state.ptype || yearsSet())) {
      if (!r.ties.some(tieMatches)) return false;
    } else {
      if (state.ptype && r.ptypes && !r.ptypes.includes(state.ptype)) return false;
      if (r.years && state.from !== null && r.years[1] < state.from) return false;
      if (r.years && state.to !== null && r.years[0] > state.to) return false;
    }
    if (state.sdg && r.sdgs && !r.sdgs.includes(Number(state.sdg))) return false;
    if (state.country && r.countries && !r.countries.includes(state.country)) return false;
    return true;
  }

  function neighbourhood(focus, depth, dir, candidates) {
    const out = new Map(), inn = new Map();
    for (const e of edges.values()) {
      if (!candidates.has(e.from) || !candidates.has(e.to)) continue;
      if (!out.has(e.from)) out.set(e.from, []);
      if (!inn.has(e.to)) inn.set(e.to, []);
      out.get(e.from).push(e.to);
      inn.get(e.to).push(e.from);
    }
    const seen = new Set([focus]);
    let frontier = [focus];
    for (let level = 0; level < depth; level += 1) {
      const next = [];
      for (const node of frontier) {
        const steps = [...(dir !== "in" ? out.get(node) || [] : []), ...(dir !== "out" ? inn.get(node) || [] : [])];
        for (const other of steps) if (!seen.has(other)) { seen.add(other); next.push(other); }
      }
      frontier = next;
    }
    return seen;
  }

  function baseNodes() {
    if (state.mode === "overview") return { ids: cache.start.nodes.map((r) => r.id), pos: new Map(Object.entries(cache.start.positions)) };
    if (state.mode === "sdg") return { ids: cache.sdg.nodes.map((r) => r.id), pos: new Map(Object.entries(cache.sdg.positions)) };
    if (state.mode === "map") return { ids: cache.map.nodes.map((r) => r.id), pos: new Map(cache.map.nodes.map((r) => [r.id, [r.lon, -r.lat]])) };
    if (state.mode === "timeline") return timelineLayout();
    return { ids: [...positions.keys()].filter((id) => records.has(id)), pos: positions };
  }

  function nodeColour(r) {
    if (r.home) return { background: "#c0392b", border: "#7b1f16" };
    if (state.mode === "communities" && cache.communities) {
      const n = cache.communities.member.get(r.id);
      const colour = n && n <= COMMUNITY_COLOURS.length ? COMMUNITY_COLOURS[n - 1] : "#b9c0c8";
      return { background: colour, border: colour };
    }
    if (state.mode === "timeline" && r.group === "partnership" && r.ptypes) {
      const colour = ptypeStyle(r.ptypes[0]).colour;
      return { background: colour, border: colour };
    }
    if (state.mode === "timeline" && r.group === "milestone") {
      const colour = r.lane === "planned" ? "#6f97c4" : "#c0392b";
      return { background: colour, border: colour };
    }
    if (state.mode === "sdg" && r.group === "sdg" && r.sdgs) {
      const colour = SDG_COLOURS[r.sdgs[0] - 1] || overview.legendColour[r.group];
      return { background: colour, border: colour };
    }
    const colour = overview.legendColour[r.group] || "#9aa3ad";
    return { background: colour, border: colour };
  }

  // The overview's links that pass the filters: a partnership by its type and start, a membership always
  function startLinks(visibleSet) {
    return cache.start.links.filter((l) => visibleSet.has(l.from) && visibleSet.has(l.to)
      && (l.kind !== "partnership" || tieMatches(l)));
  }

  // The map's lines that pass the filters, each styled by the firmest of the partnerships left
  function mapLines(visibleSet) {
    const out = [];
    for (const line of cache.map.lines) {
      if (!visibleSet.has(line.from) || !visibleSet.has(line.to)) continue;
      const ties = (line.ties && line.ties.length ? line.ties : line.ptypes.map((p) => ({ ptype: p, year: null })))
        .filter((t) => (state.ptype || yearsSet() ? tieMatches(t) : true));
      if (!ties.length) continue;
      const style = ties.map((t) => ptypeStyle(t.ptype)).sort((a, b) => b.rank - a.rank)[0];
      const names = line.partnerships.filter((p) => ties.some((t) => !t.partnership || t.partnership === p))
        .map((p) => label(records.get(p)) || tail(p));
      out.push({ to: line.to, colour: style.colour, dash: style.dash, width: style.width, title: names.join("\n"), ties });
    }
    return out;
  }

  let current = { visible: [], strong: new Set(), pathNodes: new Set() };

  function buildView() {
    const base = baseNodes();
    const visible = base.ids.filter((id) => records.has(id) && base.pos.has(id) && passesFilters(records.get(id)));
    const visibleSet = new Set(visible);
    let strong = visibleSet;  // not faded
    if (state.focus && GRAPH_MODES.has(state.mode) && visibleSet.has(state.focus)) {
      strong = neighbourhood(state.focus, state.depth, state.dir, visibleSet);
    }
    const path = state.path && cache.path && cache.path.connected ? cache.path : null;
    const pathNodes = new Set(path ? path.nodes : []);
    const pathEdges = new Set(path ? path.edges : []);
    if (path && GRAPH_MODES.has(state.mode)) strong = new Set([...pathNodes].filter((n) => visibleSet.has(n)));
    if (state.mode === "map") return { nodes: [], edges: [], visible, strong: visibleSet, pathNodes: new Set(), lines: mapLines(visibleSet) };
    const metric = state.size && GRAPH_MODES.has(state.mode) ? cache.metrics[state.size] : null;
    const nodes = visible.map((id) => {
      const r = records.get(id);
      const [x, y] = base.pos.get(id);
      const faded = !strong.has(id);
      const colour = nodeColour(r);
      const text = label(r);
      const caption = state.mode === "timeline" ? short(shortLabel(r), 30) : short(text, 34);
      const node = { id, x, y, label: faded ? "" : caption, title: `${text}\n${kindOf(r)}`,
                     color: faded ? FADED : { ...colour, highlight: colour, hover: colour }, value: 1,
                     font: { color: faded ? "#c3cad2" : "#1d2733" }, borderWidth: r.home ? 3 : 1.5 };
      if (metric) node.value = 1 + 100 * (metric.get(id) || 0) / (maxMetric(metric) || 1);
      else node.scaling = { min: 10, max: 10 };
      if (r.home) { node.shape = "star"; node.scaling = { min: 16, max: 16 }; }
      if (state.mode === "overview" && !r.home) {  // names in boxes, framed in their kind's colour: a list to read
        node.shape = "box"; node.label = text; node.margin = { top: 5, bottom: 5, left: 8, right: 8 };
        node.color = { background: "#ffffff", border: colour.border, highlight: { background: "#e8f0f9", border: "#1d2733" },
                       hover: { background: "#f3f6fa", border: colour.border } };
        node.borderWidth = 2; node.font = { color: "#1d2733", size: 15, strokeWidth: 0 }; node.widthConstraint = { maximum: 250 };
      } else if (state.mode === "overview") {
        node.label = text; node.font = { color: "#1d2733", size: 16, strokeWidth: 4, strokeColor: "#ffffff", bold: true };
      }
      if (state.mode === "sdg" && r.group === "sdg") {
        node.shape = "box"; node.font = { color: "#ffffff", size: 14, strokeWidth: 0 }; node.margin = 7;
        node.label = text; node.widthConstraint = { maximum: 170 };
      }
      if (state.mode === "timeline") { node.scaling = { min: 7, max: 7 }; node.font = { ...node.font, size: 12 }; }
      if (pathNodes.has(id)) { node.borderWidth = 5; node.color = { ...colour, border: PATH_COLOUR }; node.font = { color: "#1d2733", size: 15 }; }
      if (state.focus === id) { node.borderWidth = 4; node.color = { ...colour, border: "#1d2733", highlight: { background: colour.background, border: "#1d2733" } }; }
      return node;
    });
    const shown = [];
    if (state.mode === "overview") {
      const between = new Map();
      for (const link of startLinks(visibleSet)) {
        const pair = `${link.from} ${link.to}`;
        const nth = between.get(pair) || 0;
        between.set(pair, nth + 1);
        let style = link.kind === "partnership" ? ptypeStyle(link.ptype) : link.status ? UNCONFIRMED_STYLE : MEMBERSHIP_STYLE;
        if (link.kind === "administration") style = { colour: "#5b6675", dashes: false, width: 2 };
        const title = [lang === "de" ? link.label_de : link.label_en,
                       link.since ? fmt(_("explore.since"), { year: link.since.slice(0, 4) }) : "",
                       link.status ? link.status[lang] : ""].filter(Boolean).join("\n");
        const edge = { id: link.id, from: link.from, to: link.to, title, color: { color: style.colour, opacity: 0.9 },
                       dashes: style.dashes, width: style.width, arrows: { to: { enabled: false } } };
        if (nth) edge.smooth = { enabled: true, type: nth % 2 ? "curvedCW" : "curvedCCW", roundness: 0.15 * Math.ceil(nth / 2) };
        shown.push(edge);
      }
    } else if (state.mode !== "timeline") {
      const withLabels = (state.focus || path) && strong.size <= 60;
      const between = new Map();  // parallel statements between two entries: arcs, so none hides another
      for (const e of edges.values()) {
        if (!visibleSet.has(e.from) || !visibleSet.has(e.to)) continue;
        const pair = e.from < e.to ? `${e.from} ${e.to}` : `${e.to} ${e.from}`;
        const nth = between.get(pair) || 0;
        between.set(pair, nth + 1);
        if (state.mode === "sdg" && e.predicate !== "hki:addressesSDG") continue;
        const onPath = pathEdges.has(e.id);
        const faded = !(strong.has(e.from) && strong.has(e.to)) && !onPath;
        const text = lang === "de" ? e.label_de : e.label_en;
        const edge = { id: e.id, from: e.from, to: e.to, title: text,
                       color: faded ? { color: "#e6eaee", opacity: 0.6 } : undefined };
        if (nth) edge.smooth = { enabled: true, type: nth % 2 ? "curvedCW" : "curvedCCW", roundness: 0.18 * Math.ceil(nth / 2) };
        if (withLabels && !faded) edge.label = text;
        if (onPath) { edge.width = 5; edge.color = { color: PATH_COLOUR }; edge.label = text; }
        shown.push(edge);
      }
    }
    return { nodes, edges: shown, visible, strong: strong === visibleSet ? visibleSet : strong, pathNodes };
  }

  const maxCache = new WeakMap();
  function maxMetric(metric) {
    if (!maxCache.has(metric)) maxCache.set(metric, Math.max(0, ...metric.values()));
    return maxCache.get(metric);
  }

  // ------------------------------------------------------------------ overview: the group names
  function drawGroups(ctx) {
    ctx.save();
    for (const g of cache.start.groups) {
      const shown = g.nodes.filter((id) => nodesData.get(id)).length;
      if (!shown) continue;
      const name = `${lang === "de" ? g.label_de : g.label_en} (${shown})`;
      ctx.font = "bold 16px system-ui, sans-serif";
      ctx.textAlign = g.anchor === "end" ? "right" : g.anchor === "start" ? "left" : "center";
      ctx.textBaseline = "middle";
      ctx.fillStyle = g.key === "network" ? MEMBERSHIP_STYLE.colour : (PTYPE_STYLE[tail(g.key)] || OTHER_PTYPE).colour;
      ctx.fillText(name, g.x, g.y);
    }
    ctx.restore();
  }

  // ------------------------------------------------------------------ timeline layout
  function timelineLayout() {
    const view = cache.timeline;
    const pos = new Map();
    const ids = [];
    // as wide as the canvas at 1:1, so every label is readable without zooming; rows grow downwards
    const charWidth = 6.8, rowHeight = 42, width = Math.max(560, container.clientWidth - 215);
    const months = (value, end) => {
      const [y, m] = String(value).split("-");
      return Number(y) * 12 + (m ? Number(m) - 1 : end ? 11 : 0);
    };
    const partnerships = view.nodes.filter((r) => r.group === "partnership" && passesFilters(r));
    const events = view.nodes.filter((r) => r.group === "milestone" && passesFilters(r));
    const panels = [];
    function pack(items, lanes, x0, scale, top, laneOf) {
      let y = top;
      const laneBoxes = [];
      for (const lane of lanes) {
        const rows = [];
        const mine = items.filter((r) => laneOf(r) === lane.key);
        for (const r of mine) {
          const x = x0 + (months(r.start) - scale.first) * scale.perMonth;
          const endX = r.end ? x0 + (months(r.end, true) + 1 - scale.first) * scale.perMonth : x;
          const half = (Math.min(30, shortLabel(r).length) * charWidth) / 2 + 10;  // labels are centred under their dot
          let row = rows.findIndex((right) => right < x - half);
          if (row === -1) { rows.push(-Infinity); row = rows.length - 1; }
          rows[row] = Math.max(x + half, endX + 10);
          pos.set(r.id, [x, y + 18 + row * rowHeight]);
          ids.push(r.id);
          if (r.end) lane.bars.push({ x, endX, y: y + 18 + row * rowHeight });
        }
        const height = Math.max(1, rows.length) * rowHeight + 24;
        laneBoxes.push({ ...lane, top: y, height });
        y += height;
      }
      return { lanes: laneBoxes, bottom: y };
    }
    // panel 1: partnerships by start year, one lane per partnership type
    const typeKeys = [...new Set(view.nodes.filter((r) => r.group === "partnership").map((r) => (r.ptypes || [""])[0]))]
      .sort((a, b) => ptypeStyle(b).rank - ptypeStyle(a).rank);
    const x0 = 170;
    if (view.years) {
      const firstYear = Math.min(...view.nodes.filter((r) => r.group === "partnership").map((r) => r.years[0]), view.years[1]);
      const lastYear = Math.max(...view.nodes.filter((r) => r.group === "partnership").map((r) => r.years[0]), firstYear) + 1;
      const scale = { first: firstYear * 12, perMonth: width / ((lastYear - firstYear + 1) * 12) };
      const lanes = typeKeys.map((key) => ({ key, name: ptypeName(key), colour: ptypeStyle(key).colour, bars: [] }));
      const packed = pack(partnerships, lanes, x0, scale, 40, (r) => (r.ptypes || [""])[0]);
      panels.push({ title: _("explore.mode_timeline"), scale, x0, width, firstYear, lastYear, top: 0, ...packed, step: lastYear - firstYear > 40 ? 10 : 5 });
      // panel 2: the action concept's milestones, planned and actual, on their own (monthly) scale
      const dated = view.nodes.filter((r) => r.group === "milestone");
      if (dated.length) {
        const first = Math.min(...dated.map((r) => Math.floor(months(r.start) / 12)));
        const last = Math.max(...dated.map((r) => Math.floor(months(r.end || r.start, true) / 12))) + 1;
        const scale2 = { first: first * 12, perMonth: width / ((last - first) * 12) };
        const lanes2 = [{ key: "planned", name: _("explore.lane_planned"), colour: "#8fb3d9", bars: [] },
                        { key: "actual", name: _("explore.lane_actual"), colour: "#c0392b", bars: [] }];
        const packed2 = pack(events, lanes2, x0, scale2, packed.bottom + 70, (r) => r.lane);
        panels.push({ scale: scale2, x0, width, firstYear: first, lastYear: last, top: packed.bottom + 30, ...packed2, step: 1 });
      }
    }
    background = (ctx) => drawTimeline(ctx, panels);
    const last = panels[panels.length - 1];
    const frame = panels.length ? { left: x0 - 165, right: x0 + width + 110, top: panels[0].top, bottom: last.bottom + 10 } : null;
    return { ids, pos, frame };
  }

  function ptypeName(iri) {
    const found = (overview.facets.ptypes || []).find((p) => p.iri === iri);
    return found ? found[lang] : _("explore.mode_timeline");
  }

  function drawTimeline(ctx, panels) {
    ctx.save();
    for (const panel of panels) {
      const top = panel.lanes.length ? panel.lanes[0].top : panel.top;
      const bottom = panel.bottom;
      ctx.font = "12px system-ui, sans-serif";
      for (let year = panel.firstYear; year <= panel.lastYear; year += 1) {
        const x = panel.x0 + (year * 12 - panel.scale.first) * panel.scale.perMonth;
        const major = year % panel.step === 0;
        ctx.strokeStyle = major ? "#c9d1da" : "#eef1f4";
        ctx.lineWidth = 1;
        ctx.beginPath(); ctx.moveTo(x, top - 6); ctx.lineTo(x, bottom); ctx.stroke();
        if (major) { ctx.fillStyle = "#5b6675"; ctx.fillText(String(year), x + 3, top - 10); }
      }
      for (const lane of panel.lanes) {
        ctx.fillStyle = "rgba(243,245,248,0.6)";
        ctx.fillRect(panel.x0 - 160, lane.top, panel.width + 170, lane.height - 6);
        ctx.fillStyle = lane.colour;
        ctx.fillRect(panel.x0 - 160, lane.top, 5, lane.height - 6);
        ctx.fillStyle = "#1d2733";
        ctx.font = "bold 13px system-ui, sans-serif";
        ctx.fillText(short(lane.name, 22), panel.x0 - 150, lane.top + 18);
        ctx.font = "12px system-ui, sans-serif";
        ctx.fillStyle = lane.colour;
        for (const bar of lane.bars) { ctx.globalAlpha = 0.55; ctx.fillRect(bar.x, bar.y - 5, Math.max(4, bar.endX - bar.x), 10); ctx.globalAlpha = 1; }
      }
    }
    ctx.restore();
  }

  // ------------------------------------------------------------------ render
  let lastFitKey = "";
  let lastAnnounced = "";
  async function render(options = {}) {
    root.dataset.ready = "false";
    setStatus(_("explore.loading"));
    try {
      await loadModeData(state.mode);
      if (state.focus) await ensureNeighbourhood(state.focus, state.depth, state.dir);
    } catch (error) {
      setStatus(_("explore.error"));
      root.dataset.ready = "true";
      return;
    }
    const onMap = state.mode === "map";
    $("ex-network").hidden = onMap;
    $("ex-map").hidden = !onMap;
    root.classList.toggle("on-map", onMap);
    root.classList.toggle("with-list", onMap || state.list);  // before drawing: the list takes its width
    background = state.mode === "overview" ? drawGroups : null;
    const view = buildView();
    current = view;
    const fitKey = `${state.mode}|${state.focus}|${state.depth}|${state.dir}|${state.path}`;
    if (onMap) {
      nodesData.clear();
      edgesData.clear();
      await drawMap(view, options.fit || fitKey !== lastFitKey);
    } else {
      nodesData.clear();
      edgesData.clear();
      nodesData.add(view.nodes);
      edgesData.add(view.edges);
      network.setSize("100%", "100%");
      network.redraw();
      if (options.fit || fitKey !== lastFitKey) fit(view);
      if (state.sel && nodesData.get(state.sel)) network.selectNodes([state.sel]);
    }
    lastFitKey = fitKey;
    updateControls(view);
    updateList(view);
    writeState();
    root.dataset.mode = state.mode;
    root.dataset.ready = "true";
    if (!root.dataset.tti) root.dataset.tti = String(Math.round(performance.now() - started));
    const told = `${MODE_NAMES[state.mode]}: ${$("ex-status").textContent}`;
    if (options.announce !== false && told !== lastAnnounced) announce(told);
    lastAnnounced = told;
  }

  async function drawMap(view, refit) {
    const m = theMap();
    const places = view.visible.map((id) => {
      const r = records.get(id);
      return { id, lat: r.lat, lon: r.lon, label: label(r), home: Boolean(r.home), selected: id === state.sel };
    });
    m.show({ places, lines: view.lines, onSelect: (iri) => select(iri) });
    m.resize();
    if (refit) m.fit(view.visible, 4);
    await m.ready;
  }

  function fit(view) {
    const frame = state.mode === "timeline" ? timelineLayout().frame : null;
    if (frame) {  // the whole chart with its lane names, at most at 1:1 so labels keep their size
      const scale = Math.min(1, container.clientWidth / (frame.right - frame.left), container.clientHeight / (frame.bottom - frame.top + 40));
      network.moveTo({ position: { x: (frame.left + frame.right) / 2, y: (frame.top + frame.bottom) / 2 }, scale, animation: false });
      return;
    }
    if (state.mode === "overview" && cache.start.groups.length) {  // the dots and the group names around them
      const xs = [], ys = [];
      for (const n of view.nodes) { xs.push(n.x); ys.push(n.y); }
      for (const g of cache.start.groups) { xs.push(g.x - 130, g.x + 130); ys.push(g.y); }
      const left = Math.min(...xs) - 20, right = Math.max(...xs) + 20, top = Math.min(...ys) - 24, bottom = Math.max(...ys) + 30;
      const scale = Math.min(1.2, container.clientWidth / (right - left), container.clientHeight / (bottom - top));
      network.moveTo({ position: { x: (left + right) / 2, y: (top + bottom) / 2 }, scale, animation: false });
      return;
    }
    let ids = null;
    if (view.pathNodes.size) ids = [...view.pathNodes].filter((id) => nodesData.get(id));
    else if (state.focus && GRAPH_MODES.has(state.mode) && view.strong.size < view.visible.length) ids = [...view.strong];
    const options = { animation: false, minZoomLevel: 0.05, maxZoomLevel: 1.0 };
    if (ids && ids.length) options.nodes = ids;
    network.fit(options);
  }

  function setStatus(text) { $("ex-status").textContent = text; }
  function announce(text) {  // the live region: selection, results, answers (read out by screen readers)
    const live = $("ex-live");
    live.textContent = "";
    window.setTimeout(() => { live.textContent = text; }, 60);
  }

  function showNotice(text) {
    const notice = $("ex-notice");
    notice.textContent = text;
    notice.hidden = !text;
  }

  // ------------------------------------------------------------------ the list of what is visible
  function updateList(view) {
    const onMap = state.mode === "map";
    const list = $("ex-list");
    const shown = onMap || state.list;
    list.hidden = !shown;
    root.classList.toggle("with-list", shown);
    $("ex-list-toggle").hidden = onMap;
    $("ex-list-toggle").setAttribute("aria-pressed", String(state.list));
    $("ex-list-toggle").textContent = state.list ? _("explore.list_hide") : _("explore.list_show");
    if (!shown) return;
    const ids = view.visible.filter((id) => view.strong.has(id) || !view.strong.size);
    const groups = new Map();
    for (const id of ids) {
      const r = records.get(id);
      if (!groups.has(r.group)) groups.set(r.group, []);
      groups.get(r.group).push(r);
    }
    $("ex-list-heading").textContent = fmt(onMap ? _("explore.list_map") : _("explore.list_heading"), { n: number(ids.length) });
    const body = $("ex-list-body");
    clear(body);
    const lines = new Map((view.lines || []).map((l) => [l.to, l]));
    for (const g of overview.legend) {
      const members = groups.get(g.key);
      if (!members) continue;
      members.sort((a, b) => (b.home ? 1 : 0) - (a.home ? 1 : 0) || collator.compare(label(a), label(b)));
      const ul = el("ul", {});
      for (const r of members) {
        const extra = [];
        if (r.home) extra.push(_("explore.home"));
        const ties = r.home ? [] : onMap && lines.has(r.id) ? lines.get(r.id).ties : (r.ties || []).filter((t) => (state.ptype || yearsSet() ? tieMatches(t) : true));
        if (r.group !== "partnership") {
          for (const t of ties) extra.push(ptypeName(t.ptype) + (t.year ? ` ${fmt(_("explore.since"), { year: t.year })}` : ""));
        } else if (r.start) {
          extra.push(fmt(_("explore.since"), { year: r.start.slice(0, 4) }));
        }
        const country = (r.countries || []).map((c) => countryName(c)).filter(Boolean);
        if (country.length && r.group === "city") extra.unshift(country.join(", "));
        const button = el("button", { type: "button", class: "ex-item" + (state.sel === r.id ? " current" : ""), "data-iri": r.id,
                                      "aria-current": state.sel === r.id ? "true" : null },
          el("span", { class: "name", text: label(r) }), extra.length ? el("span", { class: "meta", text: extra.join(" · ") }) : null);
        button.addEventListener("click", () => select(r.id));
        ul.append(el("li", {}, button));
      }
      body.append(el("h4", { text: `${g[lang]} (${number(members.length)})` }), ul);
    }
    if (!ids.length) body.append(el("p", { class: "muted", text: _("explore.list_empty") }));
  }

  function countryName(iri) {
    const found = overview.facets.countries.find((c) => c.iri === iri);
    return found ? found[lang] : "";
  }

  // ------------------------------------------------------------------ controls
  function updateControls(view) {
    for (const m of MODES) {
      const tab = $(`mode-${m}`);
      tab.setAttribute("aria-selected", String(m === state.mode));
      tab.tabIndex = m === state.mode ? 0 : -1;
    }
    $("ex-view").setAttribute("aria-labelledby", `mode-${state.mode}`);
    const home = (overview.home || []).map((h) => label(records.get(h))).join(", ");
    $("ex-hint").textContent = fmt(HINTS[state.mode], { home });
    const counts = {};
    const present = {};
    const base = state.mode === "map" ? { ids: cache.map.nodes.map((r) => r.id) } : baseNodes();
    for (const id of base.ids) {
      const r = records.get(id);
      if (!r) continue;
      present[r.group] = (present[r.group] || 0) + 1;
    }
    for (const id of view.visible) { const g = records.get(id).group; counts[g] = (counts[g] || 0) + 1; }
    const legend = $("ex-legend");
    clear(legend);
    for (const g of overview.legend) {
      if (!present[g.key] && !state.hide.includes(g.key)) continue;
      const box = el("input", { type: "checkbox", "data-group": g.key, id: `ex-show-${g.key}` });
      box.checked = !state.hide.includes(g.key);
      box.addEventListener("change", () => {
        state.hide = box.checked ? state.hide.filter((k) => k !== g.key) : [...state.hide, g.key];
        render();
      });
      const swatch = el("span", { class: "swatch" });
      swatch.style.background = state.mode === "communities" ? "#d5dbe1" : g.colour;
      legend.append(el("li", { class: counts[g.key] ? "" : "empty" },
        el("label", {}, box, swatch, g[lang]), el("span", { class: "count", text: number(counts[g.key] || 0) })));
    }
    updateKeys(view);
    $("ex-size").value = state.size;
    $("ex-size-hint").textContent = state.size ? SIZE_HINTS[state.size] : "";
    $("ex-ptype").value = state.ptype;
    $("ex-sdg").value = state.sdg;
    $("ex-country").value = state.country;
    const years = overview.facets.years;
    if (years) {
      if (document.activeElement !== $("ex-year-from")) $("ex-year-from").value = state.from === null ? "" : String(state.from);
      if (document.activeElement !== $("ex-year-to")) $("ex-year-to").value = state.to === null ? "" : String(state.to);
      $("ex-year-from").placeholder = String(years[0]);
      $("ex-year-to").placeholder = String(years[1]);
    }
    const focus = state.focus && records.get(state.focus);
    $("ex-focus-label").textContent = focus ? `${_("explore.focus_of")}: ${label(focus)}` : _("explore.focus_none");
    $("ex-depth").value = String(state.depth);
    $("ex-direction").value = state.dir;
    $("ex-unfocus").disabled = !state.focus;
    const sentence = state.path && cache.path ? cache.path.text : "";
    const total = state.mode === "map" ? cache.map.nodes.length : base.ids.length;
    let status = fmt(_("explore.visible"), { n: number(view.visible.length), total: number(total) });
    if (view.strong.size < view.visible.length) status += " · " + (view.pathNodes.size ? _("explore.faded_path") : _("explore.faded"));
    $("ex-size-box").hidden = !GRAPH_MODES.has(state.mode);
    $("ex-focus-box").hidden = !GRAPH_MODES.has(state.mode);
    $("ex-pathbar").hidden = !sentence;
    $("ex-pathbar-text").textContent = sentence;
    if (state.mode === "timeline" && cache.timeline.undated) status += " · " + fmt(_("explore.no_start"), { n: cache.timeline.undated });
    if (state.mode === "sdg" && cache.sdg.unlinked.length) {
      status += " · " + _("explore.unlinked") + " " + cache.sdg.unlinked.map((id) => label(records.get(id))).join(", ");
    }
    setStatus(status);
    $("ex-network").setAttribute("aria-label", fmt(_("explore.canvas_name"), { mode: MODE_NAMES[state.mode], status }));
    $("ex-map").setAttribute("aria-label", fmt(_("explore.canvas_name"), { mode: MODE_NAMES[state.mode], status }));
    const notices = [...problems];
    if (overview.truncated && GRAPH_MODES.has(state.mode)) {
      notices.push(fmt(_("explore.truncated"), { total: number(overview.total_nodes), shown: number(overview.shown_nodes) }));
    }
    showNotice(notices.join(" "));
  }

  function updateKeys(view) {
    const keys = $("ex-keys");
    clear(keys);
    const swatch = (colour, cls) => { const s = el("span", { class: "swatch" + (cls ? " " + cls : "") }); if (cls && cls.includes("line")) s.style.borderTopColor = colour; else s.style.background = colour; return s; };
    const lineKeys = () => {
      for (const p of [...overview.facets.ptypes].sort((a, b) => ptypeStyle(b.iri).rank - ptypeStyle(a.iri).rank)) {
        const style = ptypeStyle(p.iri);
        keys.append(el("li", {}, swatch(style.colour, `line ${style.key}`), p[lang]));
      }
    };
    if (state.mode === "communities" && cache.communities) {
      for (const c of cache.communities.list.slice(0, COMMUNITY_COLOURS.length)) {
        if (c.size < 2) continue;
        const central = c.members.find((m) => records.get(m) && records.get(m).label_en === c.central_member) || c.members[0];
        keys.append(el("li", {}, swatch(COMMUNITY_COLOURS[c.number - 1]),
          `${fmt(_("explore.community"), { n: c.number })} ${fmt(_("explore.community_of"), { name: short(label(records.get(central)) || c.central_member, 30) })} (${c.size})`));
      }
      if (cache.communities.list.length > COMMUNITY_COLOURS.length || cache.communities.list.some((c) => c.size < 2)) {
        keys.append(el("li", {}, swatch("#b9c0c8"), _("explore.communities_more")));
      }
    } else if (state.mode === "overview") {
      keys.append(el("li", {}, el("span", { class: "star", text: "★" }), `${(overview.home || []).map((h) => label(records.get(h))).join(", ")} (${_("explore.home")})`));
      lineKeys();
      keys.append(el("li", {}, swatch(MEMBERSHIP_STYLE.colour, "line solid"), _("explore.key_membership")));
      keys.append(el("li", {}, swatch(UNCONFIRMED_STYLE.colour, "line dotted"), _("explore.key_unconfirmed")));
    } else if (state.mode === "map") {
      const home = (cache.map.home || []).map((h) => label(records.get(h))).join(", ");
      keys.append(el("li", {}, el("span", { class: "swatch diamond" }), `${home} (${_("explore.home")})`));
      lineKeys();
      keys.append(el("li", {}, el("span", { class: "swatch cluster", text: "3" }), _("explore.key_cluster")));
      const closer = el("button", { type: "button", class: "ex-link", id: "ex-zoom-home", text: fmt(_("explore.zoom_home"), { home }) });
      closer.addEventListener("click", () => {  // the partners within about 2,500 km
        const at = (cache.map.home || []).map((h) => records.get(h)).find(Boolean);
        if (!at) return;
        const near = current.visible.filter((id) => {
          const r = records.get(id);
          return r && Math.abs(r.lat - at.lat) < 14 && Math.abs(r.lon - at.lon) < 22;
        });
        theMap().fit(near, 7);
      });
      const world = el("button", { type: "button", class: "ex-link", id: "ex-zoom-all", text: _("explore.zoom_all") });
      world.addEventListener("click", () => theMap().fit(current.visible, 4));
      keys.append(el("li", {}, closer), el("li", {}, world));
    } else if (state.mode === "timeline") {
      for (const p of overview.facets.ptypes) keys.append(el("li", {}, swatch(ptypeStyle(p.iri).colour), p[lang]));
      keys.append(el("li", {}, swatch("#6f97c4"), `${_("explore.lane_planned")} (${_("explore.milestones")})`),
                  el("li", {}, swatch("#c0392b"), `${_("explore.lane_actual")} (${_("explore.milestones")})`));
    }
    keys.hidden = !keys.firstChild;
  }

  function fillFacets() {
    const facets = overview.facets;
    overview.legendColour = Object.fromEntries(overview.legend.map((g) => [g.key, g.colour]));
    for (const p of facets.ptypes) $("ex-ptype").append(el("option", { value: p.iri, text: p[lang] }));
    for (const s of facets.sdgs) $("ex-sdg").append(el("option", { value: String(s.n), text: s[lang] }));
    for (const c of [...facets.countries].sort((a, b) => collator.compare(a[lang], b[lang]))) {
      $("ex-country").append(el("option", { value: c.iri, text: c[lang] }));
    }
    if (facets.years) {
      for (const id of ["ex-year-from", "ex-year-to"]) {
        $(id).min = String(facets.years[0]);
        $(id).max = String(facets.years[1]);
      }
      $("ex-years-hint").textContent = fmt(_("explore.years_hint"), { first: facets.years[0], last: facets.years[1] });
    } else {
      $("ex-years").hidden = true;
    }
  }

  function bindControls() {
    const tabs = MODES.map((m) => $(`mode-${m}`));
    for (const m of MODES) {
      $(`mode-${m}`).addEventListener("click", () => { if (state.mode !== m) { state.mode = m; render({ fit: true }); } });
    }
    // the tabs are one stop for Tab; arrows, Home and End move between them (and show the view)
    $("ex-view").parentElement.querySelector(".ex-modes").addEventListener("keydown", (e) => {
      const at = tabs.indexOf(document.activeElement);
      if (at < 0) return;
      let next = null;
      if (e.key === "ArrowRight") next = (at + 1) % tabs.length;
      else if (e.key === "ArrowLeft") next = (at - 1 + tabs.length) % tabs.length;
      else if (e.key === "Home") next = 0;
      else if (e.key === "End") next = tabs.length - 1;
      if (next === null) return;
      e.preventDefault();
      tabs[next].focus();
      tabs[next].click();
    });
    $("ex-list-toggle").addEventListener("click", () => { state.list = !state.list; render(); });
    $("ex-size").addEventListener("change", (e) => { state.size = e.target.value; render(); });
    $("ex-ptype").addEventListener("change", (e) => { state.ptype = e.target.value; render(); });
    $("ex-sdg").addEventListener("change", (e) => { state.sdg = e.target.value; render(); });
    $("ex-country").addEventListener("change", (e) => { state.country = e.target.value; render(); });
    const onYears = (which, final) => (e) => {
      const years = overview.facets.years;
      const text = e.target.value.trim();
      const error = $("ex-years-error");
      if (text === "") { error.hidden = true; e.target.removeAttribute("aria-invalid"); if (state[which] !== null) { state[which] = null; render(); } return; }
      const value = Number(text);
      if (!/^\d{4}$/.test(text) || value < years[0] || value > years[1]) {
        if (!final) return;  // still typing
        error.textContent = fmt(_("explore.bad_year_input"), { value: text, first: years[0], last: years[1] });
        error.hidden = false;
        e.target.setAttribute("aria-invalid", "true");
        e.target.setAttribute("aria-describedby", "ex-years-error");
        return;
      }
      error.hidden = true;
      e.target.removeAttribute("aria-invalid");
      if (state[which] === value) return;
      state[which] = value;
      if (which === "from" && state.to !== null && value > state.to) state.to = value;
      if (which === "to" && state.from !== null && value < state.from) state.from = value;
      render();
    };
    for (const which of ["from", "to"]) {
      $(`ex-year-${which}`).addEventListener("input", onYears(which, false));
      $(`ex-year-${which}`).addEventListener("change", onYears(which, true));
    }
    $("ex-reset").addEventListener("click", () => {
      Object.assign(state, { hide: [], ptype: "", sdg: "", country: "", from: null, to: null });
      $("ex-years-error").hidden = true;
      render();
    });
    $("ex-depth").addEventListener("change", (e) => { state.depth = Number(e.target.value); render(); });
    $("ex-direction").addEventListener("change", (e) => { state.dir = e.target.value; render(); });
    $("ex-unfocus").addEventListener("click", () => { state.focus = ""; render({ fit: true }); });
    $("ex-connect").addEventListener("submit", (e) => { e.preventDefault(); showPath(); });
    const hidePath = () => { state.path = false; cache.path = null; render({ fit: true }); };
    $("ex-pathbar-close").addEventListener("click", hidePath);
    $("ex-copy").addEventListener("click", copyLink);
    $("ex-png").addEventListener("click", exportPng);
    for (const button of document.querySelectorAll(".ex-export")) button.addEventListener("click", () => exportData(button.dataset.format));
    network.on("click", (event) => { if (event.nodes.length) select(event.nodes[0]); });
    network.on("doubleClick", (event) => { if (event.nodes.length) focusOn(event.nodes[0]); });
    network.on("hoverNode", () => { container.style.cursor = "pointer"; });
    network.on("blurNode", () => { container.style.cursor = "default"; });
    combobox($("ex-search"), $("ex-hits"), async (hit) => {
      const world = worldLayer();
      if (world && hit.qid) { world.pick(hit.qid); return; }  // a place of the world layer: chosen there, as its own search does
      if (world) await world.off();  // an entry the world network does not have: shown in the city's own view
      if (!records.has(hit.iri) && !(await ensureNeighbourhood(hit.iri, state.depth, state.dir))) return;
      await focusOn(hit.iri);
    }, { world: true });
    combobox($("ex-a"), $("ex-a-hits"), async (hit) => { await endOfPath("a", hit.iri); });
    combobox($("ex-b"), $("ex-b-hits"), async (hit) => { await endOfPath("b", hit.iri); });
  }

  // ------------------------------------------------------------------ selection, focus, details
  async function select(iri) {
    state.sel = iri;
    writeState();
    if (state.mode !== "map" && nodesData.get(iri)) network.selectNodes([iri]);
    for (const b of $("ex-list-body").querySelectorAll("button.ex-item")) {
      const mine = b.dataset.iri === iri;
      b.classList.toggle("current", mine);
      if (mine) b.setAttribute("aria-current", "true"); else b.removeAttribute("aria-current");
    }
    await showDetails(iri, true);
  }

  async function focusOn(iri) {
    state.focus = iri;
    state.sel = iri;
    state.path = false;
    if (!GRAPH_MODES.has(state.mode) || !baseNodes().ids.includes(iri)) state.mode = "network";
    await render({ fit: true, announce: false });
    const r = records.get(iri);
    const around = current.strong.size;
    announce(fmt(_("explore.told_focus"), { name: label(r), n: number(around) }));
    await showDetails(iri, false);
  }

  // The world layer's details panel is its own while the layer is on (a link with sel and world=1 opens both)
  const worldShown = () => root.classList.contains("ex-world-active");

  async function showDetails(iri, tell) {
    if (worldShown()) return;
    const body = $("ex-details-body");
    clear(body);
    body.append(el("p", { class: "muted", text: _("explore.loading") }));
    let d;
    try {
      d = await getJson(`/api/explore/details?${new URLSearchParams({ iri, lang })}`);
    } catch (error) {
      clear(body);
      const r = records.get(iri);
      body.append(el("h3", { text: r ? label(r) : iri }), el("p", { class: "muted", text: _("explore.error") }));
      return;
    }
    if (state.sel !== iri || worldShown()) return;
    clear(body);
    const r = records.get(iri);
    body.append(el("h3", { id: "ex-details-label", text: d.label }));
    if (d.other_label) body.append(el("p", { class: "other-label", lang: lang === "de" ? "en" : "de", text: d.other_label }));
    const kinds = el("p", {});
    for (const k of (d.kinds.length ? d.kinds : [kindOf(r)])) kinds.append(el("span", { class: "kind", text: k }));
    body.append(kinds);
    if (d.status) body.append(el("p", { class: "warn", text: `⚠ ${d.status}` }));
    for (const note of d.status ? d.notes : []) body.append(el("p", { class: "warn", text: note }));
    if (d.description) body.append(el("p", { text: d.description }));
    const actions = el("div", { class: "actions" });
    const page = safeHref(d.page);
    if (page) actions.append(el("a", { class: "primary", href: page, text: _("explore.open_page") }));
    const act = (text, handler) => { const b = el("button", { type: "button", text }); b.addEventListener("click", handler); actions.append(b); };
    act(_("explore.show_focus"), () => focusOn(iri));
    act(_("explore.use_as_a"), () => endOfPath("a", iri));
    act(_("explore.use_as_b"), () => endOfPath("b", iri));
    body.append(actions);
    if (d.facts.length) {
      const list = el("dl", {});
      for (const f of d.facts) {
        const dd = el("dd", {});
        f.values.forEach((v, i) => {
          if (i) dd.append(", ");
          const href = safeHref(v.href);
          dd.append(href ? el("a", { href, text: v.text, rel: href.startsWith("/") ? null : "noopener" }) : el("span", { text: v.text }));
        });
        list.append(el("dt", { text: f.name }), dd);
      }
      body.append(el("h4", { text: _("explore.facts") }), list);
    }
    if (!d.status && d.notes.length) for (const note of d.notes) body.append(el("p", { class: "muted", text: note }));
    if (d.sources.length) {
      const sources = el("ol", {});
      for (const s of d.sources) {
        const href = safeHref(s.href);
        sources.append(el("li", {}, href ? el("a", { href, rel: "noopener", text: s.text }) : el("span", { text: s.text })));
      }
      body.append(el("h4", { text: _("explore.sources") }), sources);
    }
    $("ex-details-heading").textContent = fmt(_("explore.details_of"), { name: d.label });
    if (tell) announce(fmt(_("explore.told_details"), { name: d.label, kind: (d.kinds[0] || kindOf(r) || "") }));
  }

  // ------------------------------------------------------------------ "how are A and B connected?"
  async function endOfPath(which, iri) {
    state[which] = iri;
    state.path = false;
    cache.path = null;
    const r = records.get(iri);
    $(`ex-${which}`).value = r ? label(r) : tail(iri);
    if (state.a && state.b && state.a !== state.b) await showPath();
    else { writeState(); announce(fmt(_("explore.told_end"), { which: which.toUpperCase(), name: label(r) })); }
  }

  async function showPath() {
    const missing = !state.a ? "a" : !state.b ? "b" : "";
    if (missing) {
      announce(_("explore.path_pick"));
      $(`ex-${missing}`).focus();
      return;
    }
    let found;
    try {
      found = await getJson(`/api/explore/connection?${new URLSearchParams({ from: state.a, to: state.b, lang })}`);
    } catch (error) {
      showNotice(_("explore.error"));
      return;
    }
    const nodes = found.nodes;
    for (const n of nodes) if (!records.has(n) || !positions.has(n)) await ensureNeighbourhood(n, 1, "both");
    const pathEdges = found.steps.map((s) => `${s.subject} ${s.predicate} ${s.object}`).filter((id) => edges.has(id));
    cache.path = { connected: found.connected, nodes, edges: pathEdges, text: found.text, steps: found.steps };
    state.path = true;
    state.focus = "";
    if (!["network", "communities"].includes(state.mode)) state.mode = "network";
    const steps = $("ex-path-steps");
    clear(steps);
    for (const s of found.steps) steps.append(el("li", { text: `${s.subject_label} — ${s.predicate_label} → ${s.object_label}` }));
    steps.closest("details").hidden = !found.steps.length;
    await render({ fit: true, announce: false });
    announce(found.text);
  }

  // ------------------------------------------------------------------ type-ahead (search, A, B: both languages)
  const HITS = 12;
  const worldLayer = () => (window.hkiWorld && window.hkiWorld.on() ? window.hkiWorld : null);

  // The search box's hits with the world layer on: the city's own entries first, then the world network's places
  // (its own search's matching, static/explore-world.js), at least four of them when there are; a city that is both
  // (owl:sameAs) is one hit, the city's own, which is then chosen in the world layer
  function withWorldPlaces(own, world, text) {
    const places = world.search(text);
    const others = (kept) => { const iris = new Set(kept.map((h) => h.iri)); return places.filter((p) => !iris.has(p.curated)); };
    const n = Math.min(others(own).length, Math.max(4, HITS - own.length));
    const kept = own.slice(0, HITS - n).map((h) => ({ ...h, qid: world.placeOf(h.iri) }));
    return [...kept, ...others(kept).slice(0, n).map((p) => ({ ...p, world: true }))];
  }

  function combobox(input, list, choose, options = {}) {
    let hits = [], active = -1, timer = null, asked = 0, answered = "";
    const close = () => { list.hidden = true; input.setAttribute("aria-expanded", "false"); input.removeAttribute("aria-activedescendant"); active = -1; };
    const mark = () => {
      [...list.children].forEach((li, i) => li.setAttribute("aria-selected", String(i === active)));
      if (active >= 0 && list.children[active]) {
        input.setAttribute("aria-activedescendant", list.children[active].id);
        list.children[active].scrollIntoView({ block: "nearest" });
      }
    };
    const pick = async (hit) => {
      close();
      input.value = hit.label;
      await choose(hit);
    };
    async function lookup() {
      const text = input.value.trim();
      if (!text) { close(); return; }
      const ticket = ++asked;
      let answer;
      try { answer = await getJson(`/api/search?${new URLSearchParams({ q: text, lang, limit: 40 })}`); } catch (error) { return; }
      if (ticket !== asked) return;
      answered = text;
      hits = answer.results.filter((h) => overview.truncated || records.has(h.iri)).slice(0, HITS);
      const world = options.world ? worldLayer() : null;
      if (world) hits = withWorldPlaces(hits, world, text);
      clear(list);
      if (!hits.length) list.append(el("li", { class: "none", role: "option", "aria-disabled": "true", id: `${list.id}-none`, text: _("explore.search_none") }));
      const places = hits.filter((h) => h.world).length;
      hits.forEach((h, i) => {
        const r = records.get(h.iri);
        const other = h.world ? h.other : (h.labels || {})[lang === "de" ? "en" : "de"];
        const li = el("li", { role: "option", id: `${list.id}-${i}`, "data-iri": h.world ? null : h.iri, "data-qid": h.world ? h.qid : null,
                              class: h.world ? "world" + (i && i === hits.length - places ? " first" : "") : null },
          el("span", { class: "label", text: h.label }),
          other && other !== h.label ? el("span", { class: "other", text: other }) : null,
          el("span", { class: "kind", text: h.world ? h.meta : r ? kindOf(r) : "" }),
          h.world && h.only ? el("span", { class: "wikidata", text: _("explore.world_only") }) : null);
        li.addEventListener("mousedown", (e) => { e.preventDefault(); pick(h); });
        list.append(li);
      });
      active = hits.length ? 0 : -1;
      mark();
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      announce(!hits.length ? _("explore.search_none") : places ? fmt(_("explore.told_hits_world"), { n: hits.length, world: places })
        : fmt(_("explore.told_hits"), { n: hits.length }));
    }
    input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(lookup, 120); });
    input.addEventListener("keydown", (e) => {
      if (e.key === "ArrowDown" && hits.length) { active = (active + 1) % hits.length; mark(); e.preventDefault(); }
      else if (e.key === "ArrowUp" && hits.length) { active = (active - 1 + hits.length) % hits.length; mark(); e.preventDefault(); }
      else if (e.key === "Enter") {
        e.preventDefault();
        const text = input.value.trim();
        if (text && text !== answered) {  // typed faster than the hits came: take the hit for all of the text
          clearTimeout(timer);
          lookup().then(() => { if (hits[0] && answered === text) pick(hits[0]); });
        } else if (!list.hidden && hits[active]) pick(hits[active]);
        else if (input.form) input.form.requestSubmit();
      }
      else if (e.key === "Escape") close();
    });
    input.addEventListener("blur", () => setTimeout(close, 150));
  }

  // ------------------------------------------------------------------ share and export
  async function copyLink() {
    const url = window.location.href;
    const box = $("ex-copied-box");
    $("ex-link").value = url;
    box.hidden = false;
    try { await navigator.clipboard.writeText(url); $("ex-copied").textContent = _("explore.copied"); }
    catch (error) { $("ex-copied").textContent = _("explore.copy_failed"); $("ex-link").select(); }
  }

  function download(blob, name) {
    const url = URL.createObjectURL(blob);
    const a = el("a", { href: url, download: name });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 2000);
  }

  function exportPng() {
    const source = state.mode === "map" ? $("ex-map").querySelector("canvas") : container.querySelector("canvas");
    if (!source) return;
    const ratio = source.width / source.clientWidth || 1;
    const items = [...$("ex-legend").querySelectorAll("li:not(.empty)")].map((li) => ({
      text: li.querySelector("label").textContent + " " + li.querySelector(".count").textContent,
      colour: li.querySelector(".swatch").style.background }));
    const keys = [...$("ex-keys").querySelectorAll("li")].filter((li) => li.querySelector(".swatch")).map((li) => ({ text: li.textContent,
      colour: li.querySelector(".swatch").style.background || li.querySelector(".swatch").style.borderTopColor }));
    const entries = state.mode === "network" || state.mode === "sdg" ? items : keys;
    const columns = Math.max(1, Math.floor(source.clientWidth / 250));
    const rows = Math.ceil(entries.length / columns) || 0;
    const strip = (34 + rows * 20) * ratio;
    const out = document.createElement("canvas");
    out.width = source.width;
    out.height = source.height + strip;
    const ctx = out.getContext("2d");
    ctx.fillStyle = state.mode === "map" ? "#dbe9f6" : "#ffffff";
    ctx.fillRect(0, 0, out.width, source.height);
    ctx.drawImage(source, 0, 0);
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, source.height, out.width, strip);
    ctx.fillStyle = "#1d2733";
    ctx.font = `${13 * ratio}px system-ui, sans-serif`;
    const focus = state.focus ? ` · ${_("explore.focus_of")}: ${label(records.get(state.focus))}` : "";
    ctx.fillText(`${_("explore.png_caption")} · ${MODE_NAMES[state.mode]}${focus} · ${new Date().toISOString().slice(0, 10)}`, 10 * ratio, source.height + 20 * ratio);
    const column = out.width / columns;
    entries.forEach((entry, i) => {
      const x = 10 * ratio + (i % columns) * column, y = source.height + (38 + Math.floor(i / columns) * 20) * ratio;
      ctx.fillStyle = entry.colour || "#9aa3ad";
      ctx.beginPath(); ctx.arc(x + 6 * ratio, y - 4 * ratio, 5 * ratio, 0, 2 * Math.PI); ctx.fill();
      ctx.fillStyle = "#1d2733";
      let text = entry.text;
      while (text.length > 4 && ctx.measureText(text).width > column - 26 * ratio) text = text.slice(0, -2);
      ctx.fillText(text === entry.text ? text : text.slice(0, -1) + "…", x + 16 * ratio, y);
    });
    out.toBlob((blob) => download(blob, `hki-${state.mode}.png`), "image/png");
    $("ex-download").open = false;
  }

  async function exportData(format) {
    const ids = current.visible.filter((id) => current.strong.has(id) || !current.strong.size);
    const response = await fetch("/api/explore/export", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ format, nodes: ids, name: `hki-${state.mode}`, lang }) });
    if (!response.ok) { setStatus(_("explore.error")); return; }
    const extension = { csv: "zip", table: "csv" }[format] || format;
    download(await response.blob(), `hki-${state.mode}.${extension}`);
    $("ex-download").open = false;
  }

  // ------------------------------------------------------------------ start
  window.hkiExplorer = {
    network,
    state: () => JSON.parse(JSON.stringify(state)),
    visible: () => [...current.visible],
    faded: () => current.visible.filter((id) => !current.strong.has(id)),
    path: () => [...current.pathNodes],
    lines: () => (current.lines || []).map((l) => l.to),
    unclustered: () => (worldMap && state.mode === "map" ? worldMap.unclustered() : []),
    map: () => (worldMap ? worldMap.map : null),
    keepInAddress: (pairs) => { worldPairs = pairs; if (overview) writeState(); },
    screenPosition: (id) => {
      if (state.mode === "map") return worldMap ? worldMap.position(id) : null;
      const p = network.getPosition(id); const dom = network.canvasToDOM(p); const box = container.getBoundingClientRect();
      return { x: box.left + dom.x, y: box.top + dom.y };
    },
  };

  (async function start() {
    try {
      await loadOverview();
    } catch (error) {
      setStatus(_("explore.error"));
      root.dataset.ready = "true";
      return;
    }
    checkFacets();
    fillFacets();
    bindControls();
    if (state.focus && !state.sel) state.sel = state.focus;
    for (const which of ["a", "b"]) if (state[which] && records.has(state[which])) $(`ex-${which}`).value = label(records.get(state[which]));
    if (state.path) {
      const wanted = state.mode;
      await showPath();
      if (wanted === "communities" && state.mode !== wanted) { state.mode = wanted; await render(); }
    } else {
      await render({ fit: true, announce: false });
    }
    if (state.sel) showDetails(state.sel, false);
  })();
})();
