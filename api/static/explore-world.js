// The explorer's world layer (api/templates/explore.html, #ex-world): Wikidata's twin-city network — the
// context graph, ten thousand places and more — drawn with WebGL by sigma.js over a graphology graph.
// Positions come from the server (/api/explore/world: a seeded layout, the same network always looks the
// same), and so do the home city's twin cities and the candidate partners (cities twinned with two or more
// of them) with the reason as a sentence, the home city page's. "Welt-Netzwerk (Wikidata)" switches the
// layer on and off; the city's own view (vis-network, explore.js) is untouched and comes back when it is switched
// off, or when one of its modes is chosen. The address keeps the layer's state (world=1, scope=home, highlight=0,
// world_country=Q…, place=Q…; explore.js writes it beside its own), so a copied link opens the same view.
//
// While the layer is on: a search for its places (both languages' names, accents and case ignored, instant),
// a click or a chosen hit shows the place and its twin cities in the picture and its details in the details
// panel; the filter column holds the layer's filters (the whole network or only the home city's; candidates
// highlighted; a country, where the import gives countries); the explorer's own search box finds the layer's
// places too (window.hkiWorld.search: this search's matching); the list below the picture (candidates, the home city's twin cities, the best-linked places)
// is the way in for the keyboard and screen readers. In map mode a checkbox adds the places only Wikidata
// names, where it gives coordinates, to the explorer's Leaflet map (/api/explore/world/map), clustered and muted.
// Every name from the data is drawn on the canvas or set with textContent; the page's CSP allows no inline script.
"use strict";

(function () {
  const toggle = document.getElementById("ex-world-toggle");
  const panel = document.getElementById("ex-world");
  if (!toggle || !panel) return;
  const $ = (id) => document.getElementById(id);
  const root = $("explorer");
  const view = $("ex-view");
  const canvas = $("ex-world-canvas");
  const status = $("ex-world-status");
  const listBody = $("ex-world-list-body");
  const listSummary = $("ex-world-list").querySelector("summary");
  const listSummaryText = listSummary.textContent;  // the whole network's list; a chosen country's is named below
  const filters = $("ex-world-filters");
  const details = { heading: $("ex-details-heading"), body: $("ex-details-body") };
  const words = JSON.parse($("explore-text").textContent);
  const lang = root.dataset.lang || "de";
  const locale = lang === "de" ? "de-DE" : "en-GB";
  const base = panel.dataset.base || "";
  const COLORS = { home: "#c0392b", curated: "#1f5fa8", context: "#8a939e", candidate: "#178a4a", faded: "#e8ebef", abroad: "#aab4c0",
                   edge: "#d5dae0", edgeHome: "#7fa3cc", edgeCandidate: "#4fae78", edgeChosen: "#1d2733", edgeFaded: "#eef1f4" };
  const LISTED = 150;  // rows of the list below the picture
  const HITS = 12;  // search hits shown
  const TWINS_SHOWN = 80;  // twin cities listed in the details (all of them on the place's page)
  const WIKIDATA = "http://www.wikidata.org/entity/";
  // sigma's label grid: names per cell of `cell` pixels grow with the square of the zoom; sparse over the whole
  // network (its middle is thousands of names deep), denser when only a chosen place's twin cities have names
  const LABELS = { density: 0.08, chosen: 0.6, cell: 120, country: 80 };  // country: every name up to that many places
  const QID = /^Q[1-9][0-9]{0,11}$/;

  let renderer = null;  // sigma, where the browser can draw with WebGL
  let graph = null;  // once the layer's data is in place: its list, search and details work (with or without a picture)
  let loading = null;
  let rows = [];  // one per place: {i, qid, label, other, twins, kind, curated, neighbours, partner, candidate, countries}
  let byQid = new Map();
  let byCurated = new Map();  // a curated entry's IRI → its place (one entry per city)
  let countries = new Map();  // QID → {qid, label, places: Set of rows}: Wikidata's countries, where the import has them
  let homes = [];
  let candidates = [];  // {node, rank, count, reason}, by rank
  let homeName = "";
  // inCountry: the chosen country's places; nearCountry: those and their twin cities (drawn pale)
  const state = { chosen: -1, around: null, scope: "all", inScope: null, highlight: true, on: false,
                  country: "", inCountry: null, nearCountry: null };
  let cityDetails = null;  // the details panel as the city's own view left it: put back when the layer goes off

  // ------------------------------------------------------------------ small helpers
  function _(key, values) {
    let text = Object.prototype.hasOwnProperty.call(words, key) ? words[key] : key;
    for (const [name, value] of Object.entries(values || {})) text = text.split("{" + name + "}").join(String(value));
    return text;
  }
  const number = (n) => Number(n).toLocaleString(locale);

  const { el } = window.hkiDom;  // static/dom.js

  function href(r) {
    if (r.curated && r.curated.startsWith(base)) return "/" + r.curated.slice(base.length);
    return "/kontext/" + encodeURIComponent(r.qid);
  }

  function announce(text) {  // the explorer's live region (explore.js owns it; the layer speaks through it too)
    const live = $("ex-live");
    if (!live) return;
    live.textContent = "";
    window.setTimeout(() => { live.textContent = text; }, 60);
  }

  // ------------------------------------------------------------------ the address
  // What a copied address asks of the layer, read once; applied when the layer is drawn (applyAddress). Values of
  // the wrong form are dropped here, places and countries the layer does not have there: none reaches the page.
  function readAddress() {
    const q = new URLSearchParams(window.location.search);
    if (q.get("world") !== "1") return null;
    const place = q.get("place") || "";
    return { scope: q.get("scope") === "home" ? "home" : "all", highlight: q.get("highlight") !== "0",
             country: QID.test(q.get("world_country") || "") ? q.get("world_country") : "", place: QID.test(place) ? place : "" };
  }
  let wanted = readAddress();

  // The layer's part of the address, as [name, value] pairs: nothing while it is off
  function address() {
    if (!state.on && !wanted) return [];
    const s = wanted || { scope: state.scope, highlight: state.highlight, country: state.country,
                          place: state.chosen >= 0 ? rows[state.chosen].qid : "" };
    const pairs = [["world", "1"]];
    if (s.scope === "home") pairs.push(["scope", "home"]);
    if (!s.highlight) pairs.push(["highlight", "0"]);
    if (s.country) pairs.push(["world_country", s.country]);
    if (s.place) pairs.push(["place", s.place]);
    return pairs;
  }

  function remember() {  // explore.js writes the address (history.replaceState), the city's view and the layer's
    if (window.hkiExplorer && window.hkiExplorer.keepInAddress) window.hkiExplorer.keepInAddress(address());
  }

  function applyAddress() {
    const w = wanted;
    wanted = null;
    if (!w) return;
    if (!w.highlight) setHighlight(false);
    if (w.scope === "home" && homeName) { $("ex-world-scope-home").checked = true; setScope("home", true); }
    if (countries.has(w.country)) setCountry(w.country, true);
    const r = byQid.get(w.place);
    if (r) choose(r.i, { zoom: true, tell: false });
    remember();
  }

  // Names compared without case and accents, so "sao", "São" and "SAO" find São Paulo, "poznan" Poznań
  // letters NFD leaves whole: sharp s, l with stroke, o with stroke, ae, oe, d with stroke, dotless i, thorn
  const FOLDED = { "\u00df": "ss", "\u0142": "l", "\u00f8": "o", "\u00e6": "ae", "\u0153": "oe", "\u0111": "d", "\u0131": "i", "\u00fe": "th" };
  function fold(text) {
    return String(text || "").toLocaleLowerCase(locale).normalize("NFD").replace(/[\u0300-\u036f]/g, "")
      .replace(/[\u00df\u0142\u00f8\u00e6\u0153\u0111\u0131\u00fe]/g, (c) => FOLDED[c]).replace(/[\u2019\u0060]/g, "'").replace(/[\u2010-\u2015]/g, "-");
  }

  // ------------------------------------------------------------------ drawing
  function drawData(data) {
    const f = Object.fromEntries(data.fields.map((name, i) => [name, i]));
    rows = data.nodes.map((n, i) => ({ i, qid: n[f.qid], label: n[f.label], other: f.other === undefined ? "" : n[f.other] || "",
                                       twins: n[f.twins], kind: n[f.kind], curated: n[f.curated], neighbours: [],
                                       partner: "", candidate: null }));
    byQid = new Map(rows.map((r) => [r.qid, r]));
    homes = data.home.map((q) => byQid.get(q)).filter(Boolean);
    for (const [i, source] of data.partners || []) if (rows[i]) rows[i].partner = source;
    candidates = (data.candidates || []).filter((c) => rows[c.node]);
    for (const c of candidates) rows[c.node].candidate = c;
    homeName = homes.length ? homes[0].label : "";
    for (const r of rows) { r.key = fold(r.label); r.otherKey = r.other ? fold(r.other) : ""; r.aliasKeys = []; }
    for (const [i, alias] of data.aliases || []) if (rows[i]) rows[i].aliasKeys.push(fold(alias));  // Wikidata's names of a city
    byCurated = new Map(rows.filter((r) => r.curated).map((r) => [r.curated, r]));
    countries = new Map();
    for (const r of rows) r.countries = [];
    for (const c of data.countries || []) {
      if (!QID.test(c.qid)) continue;
      const places = new Set(c.places.filter((i) => rows[i]));
      countries.set(c.qid, { qid: c.qid, label: c.label, places });
      for (const i of places) rows[i].countries.push(c.label);
    }
    graph = new graphology.Graph({ type: "undirected", multi: false, allowSelfLoops: false });
    for (const r of rows) {
      const n = data.nodes[r.i];
      // by twin count; the home city and its twin cities a little larger, so they are found among thousands
      const least = r.kind === "home" ? 7 : r.partner ? 3.5 : 0;
      r.x0 = n[f.x]; r.y0 = -n[f.y];  // the whole network's layout (Hannover's network alone is drawn as rings)
      graph.addNode(r.qid, { label: r.label, x: r.x0, y: r.y0, size: Math.max(least, Math.min(10, 0.8 + 0.6 * Math.sqrt(r.twins))),
                             color: COLORS[r.kind] || COLORS.context, zIndex: r.kind === "context" ? 0 : 1,
                             forceLabel: r.kind === "home", row: r.i });
    }
    for (const [a, b] of data.edges) {
      const near = rows[a].kind !== "context" || rows[b].kind !== "context";
      graph.addEdge(rows[a].qid, rows[b].qid, { color: near ? COLORS.edgeHome : COLORS.edge, size: near ? 0.8 : 0.3, a, b });
      rows[a].neighbours.push(b);
      rows[b].neighbours.push(a);
    }
  }

  // What the filters and the choice make of a place and a twinning, every time the picture is drawn
  function shown(i) { return (!state.inScope || state.inScope.has(i)) && (!state.nearCountry || state.nearCountry.has(i)); }
  function abroad(i) { return Boolean(state.inCountry) && !state.inCountry.has(i); }  // a twin city of the country's places
  function isCandidateLink(a, b) {
    return (rows[a].candidate && rows[b].partner) || (rows[b].candidate && rows[a].partner);
  }

  // Names: the home city's always; the others where sigma's label grid finds room (more of them the closer the
  // camera comes: forced, the city's twenty entries and candidates would cover each other in the middle of the
  // whole network); every one in Hannover's network alone, a few dozen names on rings.
  function nodeReducer(key, attributes) {
    const i = attributes.row;
    const r = rows[i];
    if (!shown(i)) return { ...attributes, hidden: true };
    const out = { ...attributes };
    if (state.highlight && r.candidate) {
      out.color = COLORS.candidate; out.size = attributes.size + 2.5; out.zIndex = 2;
    }
    if (state.inScope) out.forceLabel = true;
    if (state.inCountry && !state.around) {  // the country's places named; their twin cities elsewhere small and pale
      if (!abroad(i)) {
        out.forceLabel = out.forceLabel || state.inCountry.size <= LABELS.country; out.zIndex = Math.max(out.zIndex, 2);
        out.size = Math.max(out.size, 4);
      } else if (r.kind !== "home") {
        out.color = COLORS.abroad; out.size = 2.5; out.label = null; out.forceLabel = false; out.zIndex = 0;
      }
    }
    if (state.around) {
      if (i === state.chosen) {
        out.highlighted = true; out.forceLabel = true; out.zIndex = 4; out.size = Math.max(out.size, 8);
      } else if (state.around.has(i)) {  // its twin cities: the city's own entries and candidates named always
        out.zIndex = 3;
        out.forceLabel = out.forceLabel || r.kind !== "context" || Boolean(r.partner) || Boolean(state.highlight && r.candidate);
      } else {  // pale, and in the whole network small: the chosen place's twinnings are drawn under them
        // (no name: null, not "", which would still take a place in the label grid from a twin city's name)
        out.color = COLORS.faded; out.label = null; out.forceLabel = false; out.zIndex = 0;
        if (!state.inScope) out.size = Math.min(attributes.size, 1.2);
      }
    }
    return out;
  }

  function edgeReducer(key, attributes) {
    const { a, b } = attributes;
    if (!shown(a) || !shown(b)) return { ...attributes, hidden: true };
    if (abroad(a) && abroad(b)) return { ...attributes, hidden: true };  // not a twinning of the country's places
    if (state.around) {
      if (a === state.chosen || b === state.chosen) return { ...attributes, color: COLORS.edgeChosen, size: 1.6, zIndex: 2 };
      return { ...attributes, color: COLORS.edgeFaded, size: 0.2, zIndex: 0 };
    }
    if (state.highlight && isCandidateLink(a, b)) return { ...attributes, color: COLORS.edgeCandidate, size: 1.3, zIndex: 1 };
    if (state.inCountry) return { ...attributes, color: COLORS.edgeHome, size: 0.8 };
    return attributes;
  }

  // Redraw the picture (with this label density), where there is one
  function repaint(density) {
    if (!renderer) return;
    if (density) renderer.setSetting("labelDensity", density);
    renderer.refresh();
  }

  function draw([data, webglThere]) {
    const started = performance.now();
    drawData(data);
    if (!(webglThere && picture())) {  // no WebGL (switched off, or a remote desktop without it): the search, the list and the details still work
      canvas.hidden = true;
      $("ex-world-no-picture").hidden = false;
    }
    fillFilters();
    fillList();
    window.requestAnimationFrame(() => {
      const ms = performance.now() - started;
      panel.dataset.firstDraw = String(Math.round(ms));
      applyAddress();  // after the first frame: the camera flies to a place only once it is drawn
      tellStatus();
      panel.dataset.ready = "true";
    });
    Object.assign(window.hkiWorld, {
      renderer, graph, rows, candidates, choose: (qid) => { const r = byQid.get(qid); if (r) choose(r.i, { zoom: true }); },
      state: () => ({ chosen: state.chosen >= 0 ? rows[state.chosen].qid : "", scope: state.scope, highlight: state.highlight,
                      country: state.country, hidden: rows.filter((r) => !shown(r.i)).length }) });
  }

  // The picture, with sigma; false when WebGL is there but gives it no context (too many open, a lost graphics process)
  function picture() {
    try {
      renderer = new Sigma(graph, canvas, { hideEdgesOnMove: true, labelRenderedSizeThreshold: 7, labelDensity: LABELS.density,
                                            labelGridCellSize: LABELS.cell,
                                            zIndex: true, defaultEdgeType: "line", nodeReducer, edgeReducer,
                                            // zoomed in, dots grow a little (sigma's default: with the square root),
                                            // so that close neighbours come apart instead of covering each other
                                            zoomToSizeRatioFunction: (ratio) => Math.pow(ratio, 0.25),
                                            allowInvalidContainer: true });  // hidden while switched off
    } catch (error) {
      renderer = null;
      return false;
    }
    renderer.on("clickNode", ({ node }) => {
      const r = byQid.get(node);
      if (r) choose(r.i, { zoom: false, tell: true });
    });
    renderer.on("clickStage", () => { if (state.chosen >= 0) clearChoice(); });
    renderer.on("enterNode", () => { canvas.style.cursor = "pointer"; });
    renderer.on("leaveNode", () => { canvas.style.cursor = ""; });
    return true;
  }

  function tellStatus() {
    const total = { nodes: number(rows.length), edges: number(graph.size) };
    let text = _("explore.world_status", total);
    if (state.inCountry) {
      let inside = 0, elsewhere = 0;
      for (const r of rows) if (shown(r.i)) { if (abroad(r.i)) elsewhere += 1; else inside += 1; }
      const values = { shown: number(inside), abroad: number(elsewhere), country: countries.get(state.country).label, home: homeName };
      text += " " + (state.inScope ? _("explore.world_status_country_home", values) : _("explore.world_status_country", values));
    } else if (state.inScope) {
      text += " " + _("explore.world_status_scope", { shown: number(state.inScope.size), nodes: total.nodes, home: homeName });
    }
    status.textContent = text;
    return text;
  }

  // ------------------------------------------------------------------ the camera
  function fitCamera(indices, animate) {
    if (!renderer) return;
    const camera = renderer.getCamera();
    const points = indices.map((i) => renderer.getNodeDisplayData(rows[i].qid)).filter(Boolean);
    if (!points.length) return;
    const xs = points.map((p) => p.x), ys = points.map((p) => p.y);
    const left = Math.min(...xs), right = Math.max(...xs), top = Math.min(...ys), bottom = Math.max(...ys);
    const ratio = Math.min(1.05, Math.max(0.04, 1.35 * Math.max(right - left, bottom - top)));
    const target = { x: (left + right) / 2, y: (top + bottom) / 2, ratio };
    if (animate) camera.animate(target, { duration: 500 });
    else camera.setState(target);
  }

  function fitShown() {  // what the filters leave, or the chosen place and its twin cities, or the whole network
    if (state.inScope || state.nearCountry) fitCamera(rows.filter((r) => shown(r.i)).map((r) => r.i), true);
    else if (state.around) fitCamera([...state.around], true);
    else if (renderer) renderer.getCamera().animatedReset({ duration: 500 });
  }

  // ------------------------------------------------------------------ choosing a place
  function choose(i, options) {
    const r = rows[i];
    if (!r) return;
    if (state.inScope && !state.inScope.has(i)) {  // a place outside Hannover's network: the whole network again
      $("ex-world-scope-all").checked = true;
      setScope("all", true);
    }
    if (state.nearCountry && !state.nearCountry.has(i)) setCountry("", true);  // a place the country filter hides
    state.chosen = i;
    state.around = new Set([i, ...r.neighbours]);
    panel.dataset.chosen = r.qid;
    repaint(LABELS.chosen);  // only its twin cities have names to show: most of them
    if (options.zoom) fitCamera([...state.around], true);
    for (const b of listBody.querySelectorAll("button[data-qid]")) {
      if (b.dataset.qid === r.qid) b.setAttribute("aria-current", "true"); else b.removeAttribute("aria-current");
    }
    showDetails(r);
    remember();
    if (options.tell) announce(_("explore.world_told_choice", { name: r.label, n: number(r.neighbours.length) }));
  }

  function clearChoice() {
    state.chosen = -1;
    state.around = null;
    delete panel.dataset.chosen;
    for (const b of listBody.querySelectorAll("button[aria-current]")) b.removeAttribute("aria-current");
    repaint(LABELS.density);
    showHint();
    remember();
  }

  // ------------------------------------------------------------------ the details panel
  function keepCityDetails() {
    if (cityDetails) return;
    cityDetails = { heading: details.heading.textContent, nodes: [...details.body.childNodes] };
  }

  function restoreCityDetails() {
    if (!cityDetails) return;
    details.heading.textContent = cityDetails.heading;
    details.body.replaceChildren(...cityDetails.nodes);
    cityDetails = null;
  }

  function showHint() {
    keepCityDetails();
    details.heading.textContent = _("explore.details");
    details.body.replaceChildren(el("p", { class: "muted", text: _("explore.world_details_hint") }));
  }

  function kindText(r) {
    if (r.kind === "home") return _("explore.world_kind_home");
    if (r.kind === "curated") return _("explore.world_kind_curated");
    return _("explore.world_kind_context");
  }

  function partnerText(source) {
    if (source === "both") return _("explore.world_partner_both", { home: homeName });
    if (source === "wikidata") return _("explore.world_partner_wikidata", { home: homeName });
    return _("explore.world_partner_curated", { home: homeName });
  }

  function showDetails(r) {
    keepCityDetails();
    const body = el("div", {});
    body.append(el("h3", { id: "ex-details-label", text: r.label }));
    if (r.other) body.append(el("p", { class: "other-label", lang: lang === "de" ? "en" : "de", text: r.other }));
    body.append(el("p", {}, el("span", { class: "kind" + (r.kind === "context" ? " wikidata" : ""), text: kindText(r) })));
    if (r.countries.length) body.append(el("p", { class: "ex-world-country-of", text: _("explore.world_country_of", { country: r.countries.join(", ") }) }));
    if (r.partner) body.append(el("p", { class: "ex-world-partner", text: partnerText(r.partner) }));
    if (r.candidate) {
      body.append(el("div", { class: "ex-world-reason" },
        el("p", { class: "ex-world-rank", text: _("explore.world_candidate", { rank: r.candidate.rank, total: candidates.length }) }),
        el("p", { text: r.candidate.reason })));
    }
    const actions = el("div", { class: "actions" });
    actions.append(el("a", { class: "primary", href: href(r), text: _("explore.open_page") }));
    const act = (text, handler) => { const b = el("button", { type: "button", text }); b.addEventListener("click", handler); actions.append(b); };
    if (renderer) act(_("explore.world_show"), () => { if (!state.on) show(true); fitCamera([...state.around], true); });
    act(_("explore.world_clear"), () => clearChoice());
    body.append(actions);
    const twins = r.neighbours.map((i) => rows[i])
      .sort((a, b) => (a.kind === "context") - (b.kind === "context") || a.label.localeCompare(b.label, lang));
    body.append(el("h4", { text: _("explore.world_twins_heading", { n: number(twins.length) }) }));
    if (twins.length) {
      const list = el("ul", { class: "ex-world-twins" });
      for (const t of twins.slice(0, TWINS_SHOWN)) {
        const li = el("li", {}, el("a", { href: href(t), text: t.label }));
        if (t.kind === "home") li.append(" – " + _("explore.world_kind_home"));
        else if (t.partner) li.append(" – " + _("explore.world_is_partner", { home: homeName }));
        if (t.candidate && state.highlight) li.append(" – " + _("explore.world_key_candidate"));
        list.append(li);
      }
      body.append(list);
      if (twins.length > TWINS_SHOWN) body.append(el("p", { class: "muted ex-small", text: _("explore.world_twins_more", { n: number(twins.length - TWINS_SHOWN) }) }));
    } else {
      body.append(el("p", { class: "muted", text: _("explore.world_twins_none") }));
    }
    const tech = el("dl", {},
      el("dt", { text: _("explore.world_tech_qid") }), el("dd", { text: r.qid }),
      el("dt", { text: _("explore.world_tech_iri") }), el("dd", { text: WIKIDATA + r.qid }));
    if (r.curated) tech.append(el("dt", { text: _("explore.world_tech_curated") }), el("dd", { text: r.curated }));
    body.append(el("details", { class: "ex-tech" }, el("summary", { text: _("explore.technical") }), tech));
    details.body.replaceChildren(...body.childNodes);
    details.heading.textContent = _("explore.details_of", { name: r.label });
  }

  // ------------------------------------------------------------------ filters (the filter column)
  function fillFilters() {
    const home = $("ex-world-scope-home");
    if (homeName) {
      $("ex-world-scope-home-name").textContent = _("explore.world_scope_home", { home: homeName });
      $("ex-world-scope-hint").textContent = _("explore.world_scope_hint", { home: homeName });
      $("ex-world-candidates-hint").textContent = _("explore.world_highlight_hint", { home: homeName, n: number(candidates.length) });
    } else {
      home.disabled = true;  // no home city in the data: no network of its own to show
    }
    if (!candidates.length) {
      $("ex-world-candidates").disabled = true;
      $("ex-world-key-candidate").hidden = true;
      $("ex-world-key-candidate-link").hidden = true;
    }
    for (const radio of document.querySelectorAll('input[name="ex-world-scope"]')) {
      radio.addEventListener("change", () => { if (radio.checked) setScope(radio.value); });
    }
    $("ex-world-candidates").addEventListener("change", (e) => setHighlight(e.target.checked));
    panel.dataset.highlight = String(state.highlight);
    // the country filter only where the import gives countries (WDQS answers with country; the 2016 extract has none)
    const select = $("ex-world-country");
    $("ex-world-country-box").hidden = !countries.size;
    const collator = new Intl.Collator(lang);
    for (const c of [...countries.values()].sort((a, b) => collator.compare(a.label, b.label))) {
      select.append(el("option", { value: c.qid, text: `${c.label} (${number(c.places.size)})` }));
    }
    select.addEventListener("change", () => setCountry(select.value));
  }

  function setHighlight(on) {
    state.highlight = on;
    $("ex-world-candidates").checked = on;
    $("ex-world-key-candidate").hidden = !on || !candidates.length;
    $("ex-world-key-candidate-link").hidden = !on || !candidates.length;
    repaint();
    panel.dataset.highlight = String(on);
    remember();
  }

  // One country's places and their twinnings; "" for every country
  function setCountry(qid, quiet) {
    const c = countries.get(qid);
    state.country = c ? c.qid : "";
    state.inCountry = c ? c.places : null;
    state.nearCountry = null;
    if (c) {
      state.nearCountry = new Set(c.places);
      for (const i of c.places) for (const n of rows[i].neighbours) state.nearCountry.add(n);
    }
    $("ex-world-country").value = state.country;
    panel.dataset.country = state.country;
    if (state.chosen >= 0 && !shown(state.chosen)) clearChoice();
    repaint();
    fillList();
    fitShown();
    remember();
    const told = tellStatus();
    if (!quiet) announce(told);
  }

  function homeNetwork() {
    const set = new Set(homes.map((h) => h.i));
    for (const r of rows) if (r.partner) set.add(r.i);
    for (const c of candidates) set.add(c.node);
    return set;
  }

  // Hannover's network on its own, drawn as rings: the city in the middle, its twin cities around it (in the
  // directions the whole network's layout gives them), the candidates outside, each between the twin cities it
  // is twinned with. In the whole network's layout they sit on top of each other; here every link can be read.
  function ringPositions(scope) {
    const home = homes[0];
    const centre = { x: rows[home.i].x0, y: rows[home.i].y0 };
    const partners = rows.filter((r) => r.partner && scope.has(r.i) && r !== home);
    const angle = (r) => Math.atan2(r.y0 - centre.y, r.x0 - centre.x);
    partners.sort((a, b) => angle(a) - angle(b) || a.label.localeCompare(b.label, lang));
    const inner = 90, outer = 190;
    const placed = new Map([[home.i, [centre.x, centre.y]]]);
    const angles = new Map();
    partners.forEach((r, k) => {
      const t = (2 * Math.PI * k) / Math.max(1, partners.length);
      angles.set(r.i, t);
      placed.set(r.i, [centre.x + inner * Math.cos(t), centre.y + inner * Math.sin(t)]);
    });
    const outside = candidates.map((c) => rows[c.node]).filter((r) => scope.has(r.i) && !placed.has(r.i)).map((r) => {
      const mine = r.neighbours.filter((n) => angles.has(n)).map((n) => angles.get(n));  // its twin cities' directions
      const sx = mine.reduce((sum, t) => sum + Math.cos(t), 0), sy = mine.reduce((sum, t) => sum + Math.sin(t), 0);
      return { r, t: mine.length ? Math.atan2(sy, sx) : 0 };
    }).sort((a, b) => a.t - b.t);
    const gap = (2 * Math.PI) / Math.max(outside.length * 1.15, 12);  // candidates in one direction move apart
    for (let k = 1; k < outside.length; k++) outside[k].t = Math.max(outside[k].t, outside[k - 1].t + gap);
    outside.forEach(({ r, t }, k) => {
      const radius = outer + (outside.length > 36 ? (k % 3) * 45 : 0);
      placed.set(r.i, [centre.x + radius * Math.cos(t), centre.y + radius * Math.sin(t)]);
    });
    for (const [i, [x, y]] of placed) { graph.setNodeAttribute(rows[i].qid, "x", x); graph.setNodeAttribute(rows[i].qid, "y", y); }
  }

  function wholePositions() {
    for (const r of rows) { graph.setNodeAttribute(r.qid, "x", r.x0); graph.setNodeAttribute(r.qid, "y", r.y0); }
  }

  function setScope(scope, quiet) {
    state.scope = scope === "home" && homeName ? "home" : "all";
    state.inScope = state.scope === "home" ? homeNetwork() : null;
    panel.dataset.scope = state.scope;
    if (state.chosen >= 0 && !shown(state.chosen)) clearChoice();
    if (state.inScope) ringPositions(state.inScope); else wholePositions();
    repaint();
    if (state.inCountry) fillList();
    fitShown();
    remember();
    const told = tellStatus();
    if (!quiet) announce(told);
  }

  // ------------------------------------------------------------------ the list below the picture
  function fillList() {
    listBody.textContent = "";
    listSummary.textContent = state.inCountry
      ? _("explore.world_list_of_country", { country: countries.get(state.country).label }) : listSummaryText;
    const listed = new Set();
    const entry = (r, ...after) => {
      listed.add(r.i);
      const button = el("button", { type: "button", class: "ex-link", "data-qid": r.qid, text: r.label,
                                    "aria-current": r.i === state.chosen ? "true" : null });
      button.addEventListener("click", () => choose(r.i, { zoom: true, tell: true }));
      return el("li", {}, button, ...after);
    };
    const byTwins = (a, b) => b.twins - a.twins || a.label.localeCompare(b.label, lang);
    if (state.inCountry) {  // a country chosen: its places (those the scope leaves), the best-linked first
      const mine = [...state.inCountry].filter(shown).map((i) => rows[i]).sort(byTwins);
      const ol = el("ol", { class: "ex-world-country-places" });
      for (const r of mine.slice(0, LISTED)) {
        const what = [_("explore.world_twins", { n: number(r.twins) }), r.kind === "context" ? _("explore.world_only") : "",
                      r.kind === "home" || r.candidate || r.partner ? placeMeta(r) : ""];
        ol.append(entry(r, " – " + what.filter(Boolean).join(" – ")));
      }
      listBody.append(el("h4", { text: _("explore.world_list_country", { country: countries.get(state.country).label, n: number(mine.length) }) }), ol);
      return;
    }
    if (homes.length) {
      listBody.append(el("h4", { text: _("explore.world_list_candidates", { n: number(candidates.length), home: homeName }) }));
      if (candidates.length) {
        const ol = el("ol", { class: "ex-world-candidates" });
        for (const c of candidates.slice(0, LISTED)) ol.append(entry(rows[c.node], " – " + c.reason));
        listBody.append(ol);
      } else {
        listBody.append(el("p", { class: "muted", text: _("explore.world_list_candidates_none", { home: homeName }) }));
      }
      const twins = [...homes, ...rows.filter((r) => r.partner)];
      const seen = new Set();
      const ul = el("ul", { class: "ex-world-partners" });
      for (const r of twins) {
        if (seen.has(r.i)) continue;
        seen.add(r.i);
        const meta = r.kind === "home" ? _("explore.world_kind_home") : partnerText(r.partner);
        ul.append(entry(r, " – " + _("explore.world_twins", { n: number(r.twins) }) + " – " + meta));
      }
      listBody.append(el("h4", { text: _("explore.world_list_partners", { home: homeName, n: number(seen.size - homes.length) }) }), ul);
    }
    const best = el("ol", { class: "ex-world-best" });
    let count = 0;
    for (const r of [...rows].sort(byTwins)) {
      if (count >= LISTED) break;
      if (listed.has(r.i)) continue;
      count += 1;
      best.append(entry(r, " – " + _("explore.world_twins", { n: number(r.twins) }) + (r.kind === "context" ? " – " + _("explore.world_only") : "")));
    }
    listBody.append(el("h4", { text: _("explore.world_list_best") }), best);
  }

  // ------------------------------------------------------------------ the search (instant, in the browser)
  const WORD_START = new Set([" ", "-", "'", "(", "/", ".", ","]);
  function match(key, q) {
    if (!key) return 9;
    if (key === q) return 0;
    if (key.startsWith(q)) return 1;
    const at = key.indexOf(q);
    if (at < 0) return 9;
    return WORD_START.has(key[at - 1]) ? 2 : 3;  // the start of a word in the name, else anywhere in it
  }

  function find(text) {
    const q = fold(text.trim());
    if (!q) return [];
    const found = [];
    for (const r of rows) {
      const score = Math.min(match(r.key, q), match(r.otherKey, q), ...r.aliasKeys.map((key) => match(key, q)));
      if (score < 9) found.push([score, r]);
    }
    const weight = (r) => (r.kind === "home" ? 0 : r.candidate ? 1 : r.partner ? 2 : r.kind === "curated" ? 3 : 4);
    found.sort((x, y) => x[0] - y[0] || weight(x[1]) - weight(y[1]) || y[1].twins - x[1].twins
      || x[1].label.localeCompare(y[1].label, lang));
    return found.slice(0, HITS).map(([, r]) => r);
  }

  // What a place is, in a few words: in the search hits (the layer's and the explorer's search box) and the lists
  function placeMeta(r) {
    return r.kind === "home" ? _("explore.world_kind_home") : r.candidate ? _("explore.world_key_candidate")
      : r.partner ? _("explore.world_is_partner", { home: homeName }) : _("explore.world_twins", { n: number(r.twins) });
  }

  function bindSearch() {
    const input = $("ex-world-search");
    const list = $("ex-world-hits");
    let hits = [];
    let active = -1;
    const close = () => {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    };
    const mark = () => {
      [...list.children].forEach((li, i) => li.setAttribute("aria-selected", String(i === active)));
      if (active >= 0 && list.children[active]) {
        input.setAttribute("aria-activedescendant", list.children[active].id);
        list.children[active].scrollIntoView({ block: "nearest" });
      }
    };
    const pick = (r) => {
      close();
      input.value = r.label;
      choose(r.i, { zoom: true, tell: true });
    };
    function lookup() {
      const text = input.value;
      if (!text.trim() || !rows.length) { close(); hits = []; return; }
      hits = find(text);
      list.textContent = "";
      if (!hits.length) {
        list.append(el("li", { class: "none", role: "option", "aria-disabled": "true", id: "ex-world-hits-none", text: _("explore.world_hits_none") }));
      }
      hits.forEach((r, i) => {
        const meta = placeMeta(r);
        const li = el("li", { role: "option", id: `ex-world-hits-${i}`, "data-qid": r.qid },
          el("span", { class: "label", text: r.label }),
          r.other ? el("span", { class: "other", text: r.other }) : null,
          el("span", { class: "kind", text: meta }));
        li.addEventListener("mousedown", (e) => { e.preventDefault(); pick(r); });
        list.append(li);
      });
      active = hits.length ? 0 : -1;
      mark();
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      announce(hits.length ? _("explore.world_told_hits", { n: hits.length }) : _("explore.world_hits_none"));
    }
    input.addEventListener("input", lookup);
    input.addEventListener("keydown", (e) => {
      if (e.key === "ArrowDown" && hits.length) { if (list.hidden) lookup(); else { active = (active + 1) % hits.length; mark(); } e.preventDefault(); }
      else if (e.key === "ArrowUp" && hits.length) { active = (active - 1 + hits.length) % hits.length; mark(); e.preventDefault(); }
      else if (e.key === "Enter") {
        e.preventDefault();
        if (list.hidden) lookup();
        if (hits[active >= 0 ? active : 0]) pick(hits[active >= 0 ? active : 0]);
      } else if (e.key === "Escape") close();
    });
    input.addEventListener("blur", () => setTimeout(close, 150));
  }

  // ------------------------------------------------------------------ the map: places only Wikidata names
  const wikidataMap = { box: $("ex-world-map-box"), check: $("ex-world-map"), count: $("ex-world-map-count"),
                        places: null, layer: null, map: null, fetching: null };

  async function mapPlaces() {
    if (!wikidataMap.fetching) {
      wikidataMap.fetching = fetch("/api/explore/world/map?lang=" + encodeURIComponent(lang), { headers: { Accept: "application/json" } })
        .then((response) => { if (!response.ok) throw new Error(response.status + " " + response.statusText); return response.json(); })
        .catch((error) => { wikidataMap.fetching = null; throw error; });
    }
    return wikidataMap.fetching;
  }

  function mapLayer(data) {
    const f = Object.fromEntries(data.fields.map((name, i) => [name, i]));
    const m = wikidataMap.map;
    if (!m.getPane("hki-wikidata")) m.createPane("hki-wikidata").style.zIndex = "590";  // under the city's own places (600)
    const clusters = L.markerClusterGroup({
      clusterPane: "hki-wikidata", maxClusterRadius: 50, showCoverageOnHover: false, chunkedLoading: true,
      spiderfyOnMaxZoom: true, zoomToBoundsOnClick: true,
      iconCreateFunction(cluster) {
        const icon = el("div", { title: _("explore.world_map_cluster", { n: number(cluster.getChildCount()) }) },
          el("span", { class: "count", text: number(cluster.getChildCount()) }));
        return L.divIcon({ html: icon, className: "ex-wd-cluster", iconSize: [28, 28] });
      },
    });
    const markers = data.places.map((p) => {
      const place = { qid: p[f.qid], label: p[f.label], twins: p[f.twins] };
      const icon = L.divIcon({ html: el("span", { class: "dot" }), className: "ex-wd-pin", iconSize: [10, 10] });
      const marker = L.marker([p[f.lat], p[f.lon]], { icon, pane: "hki-wikidata", keyboard: false, title: place.label + " – " + _("explore.world_only") });
      marker.bindPopup(() => el("div", { class: "ex-wd-popup" },
        el("strong", { text: place.label }), el("br"),
        el("span", { text: _("explore.world_only") + " – " + _("explore.world_twins", { n: number(place.twins) }) }), el("br"),
        el("a", { href: "/kontext/" + encodeURIComponent(place.qid), text: _("explore.open_page") })));
      return marker;
    });
    clusters.addLayers(markers);
    return clusters;
  }

  async function showOnMap(on) {
    const m = window.hkiExplorer && window.hkiExplorer.map ? window.hkiExplorer.map() : null;
    if (!m) return;
    if (wikidataMap.map !== m) { wikidataMap.map = m; wikidataMap.layer = null; }
    if (!on) {
      if (wikidataMap.layer && m.hasLayer(wikidataMap.layer)) m.removeLayer(wikidataMap.layer);
      wikidataMap.box.dataset.shown = "0";
      return;
    }
    let data;
    try {
      data = await mapPlaces();
    } catch (error) {
      wikidataMap.count.textContent = _("explore.world_failed");
      return;
    }
    if (!wikidataMap.check.checked) return;  // switched off again while the places came
    wikidataMap.count.textContent = data.total ? `(${number(data.total)})` : _("explore.world_map_none");
    if (!wikidataMap.layer) wikidataMap.layer = mapLayer(data);
    if (!m.hasLayer(wikidataMap.layer)) m.addLayer(wikidataMap.layer);
    wikidataMap.box.dataset.shown = String(data.total);
  }

  function onModeChange() {
    const map = root.dataset.mode === "map";
    wikidataMap.box.hidden = !map || state.on;
    if (map && !state.on) showOnMap(wikidataMap.check.checked);
  }

  wikidataMap.check.addEventListener("change", () => showOnMap(wikidataMap.check.checked));
  new MutationObserver(onModeChange).observe(root, { attributes: true, attributeFilter: ["data-mode"] });

  // ------------------------------------------------------------------ on and off
  async function load() {
    status.textContent = _("explore.loading");
    const [response, canPicture] = await Promise.all([
      fetch("/api/explore/world?lang=" + encodeURIComponent(lang), { headers: { Accept: "application/json" } }), loadSigma()]);
    if (!response.ok) throw new Error(response.status + " " + response.statusText);
    return [await response.json(), canPicture];
  }

  // sigma.js, fetched when the layer is first switched on and only where WebGL works: its bundle fails as it loads
  // without WebGL. True when the picture can be drawn.
  function loadSigma() {
    if (typeof Sigma !== "undefined") return Promise.resolve(true);
    if (!webgl()) return Promise.resolve(false);
    return new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = panel.dataset.sigma;
      script.onload = () => resolve(typeof Sigma !== "undefined");
      script.onerror = () => reject(new Error(panel.dataset.sigma));
      document.head.append(script);
    });
  }

  function webgl() {
    try {
      const context = document.createElement("canvas").getContext("webgl");
      if (!context) return false;
      const lose = context.getExtension("WEBGL_lose_context");  // the probe's context, given back at once
      if (lose) lose.loseContext();
      return true;
    } catch (error) {
      return false;
    }
  }

  async function show(on) {
    state.on = on;
    toggle.setAttribute("aria-pressed", on ? "true" : "false");
    panel.hidden = !on;
    if (view) view.hidden = on;
    filters.hidden = !on;
    root.classList.toggle("ex-world-active", on);
    const hint = $("ex-hint");  // the hint of the city's own view (explore.js)
    if (hint) hint.classList.toggle("ex-world-on", on);
    if (!on) wanted = null;  // switched off before it was drawn: the address asks nothing more of it
    remember();
    if (on) {
      wikidataMap.check.checked = true;  // the layer on: its places on the map too, until switched off there
      if (state.chosen >= 0) showDetails(rows[state.chosen]); else showHint();
    } else {
      restoreCityDetails();
    }
    onModeChange();
    if (!on || graph) {
      if (on) repaint();  // its container had no size while hidden
      return;
    }
    if (!loading) {
      panel.dataset.started = String(performance.now());
      loading = load().then(draw).catch((error) => {
        status.textContent = _("explore.world_failed") + " (" + error.message + ")";
        loading = null;
      });
    }
    await loading;
  }

  // For the explorer's own search box (explore.js): while the layer is on and drawn, it finds the layer's places by this
  // search's matching (find) and chooses them as this search does; the renderer and rows join for the tests (draw)
  window.hkiWorld = {
    on: () => state.on && Boolean(graph),
    search: (text) => find(text).map((r) => ({ qid: r.qid, label: r.label, other: r.other, curated: r.curated,
                                               only: r.kind === "context", meta: placeMeta(r) })),
    placeOf: (iri) => (byCurated.has(iri) ? byCurated.get(iri).qid : ""),
    pick: (qid) => { const r = byQid.get(qid); if (r) choose(r.i, { zoom: true, tell: true }); },
    off: () => show(false),
  };
  remember();  // what the address asks of the layer stays in it until the layer is drawn

  bindSearch();
  toggle.addEventListener("click", () => show(toggle.getAttribute("aria-pressed") !== "true"));
  // a mode of the city's own view chosen while the layer is on: that view, in place of the layer
  for (const tab of document.querySelectorAll(".ex-mode")) {
    tab.addEventListener("click", () => { if (state.on) show(false); });
  }
  if (new URLSearchParams(window.location.search).get("world") === "1") {
    // after the city's own view has drawn once (vis-network cannot fit itself into a hidden box)
    if (root.dataset.ready === "true") show(true);
    else {
      const watch = new MutationObserver(() => {
        if (root.dataset.ready === "true") { watch.disconnect(); show(true); }
      });
      watch.observe(root, { attributes: true, attributeFilter: ["data-ready"] });
    }
  }
})();
