// The explorer's world layer (api/templates/explore.html, #ex-world): Wikidata's twin-city network — the
// context graph, ten thousand places and more — drawn with WebGL by sigma.js over a graphology graph.
// Positions come from the server (/api/explore/world: a seeded layout, the same network always looks the
// same), so nothing is computed here before the first frame. "Welt-Netzwerk (Wikidata)" switches the layer
// on and off (?world=1 in the address keeps it on); the city's own view (vis-network, explore.js) is
// untouched and comes back when it is switched off. Keyboard and screen readers: the list below the picture
// holds the best-linked places and the home city's twins as links. Every name from the data is drawn on the
// canvas or set with textContent; the page's CSP allows no inline script.
"use strict";

(function () {
  const toggle = document.getElementById("ex-world-toggle");
  const panel = document.getElementById("ex-world");
  if (!toggle || !panel) return;
  const view = document.getElementById("ex-view");
  const canvas = document.getElementById("ex-world-canvas");
  const status = document.getElementById("ex-world-status");
  const listBody = document.getElementById("ex-world-list-body");
  const words = JSON.parse(document.getElementById("explore-text").textContent);
  const lang = document.getElementById("explorer").dataset.lang || "de";
  const base = panel.dataset.base || "";
  const COLORS = { home: "#c0392b", curated: "#1f5fa8", context: "#8a939e" };
  const LISTED = 150;
  let renderer = null;
  let loading = null;

  function _(key, values) {
    let text = words[key] || key;
    for (const [name, value] of Object.entries(values || {})) text = text.split("{" + name + "}").join(String(value));
    return text;
  }

  function href(qid, curated) {
    if (curated && curated.startsWith(base)) return "/" + curated.slice(base.length);
    return "/kontext/" + encodeURIComponent(qid);
  }

  function remember(on) {
    const url = new URL(window.location.href);
    if (on) url.searchParams.set("world", "1"); else url.searchParams.delete("world");
    window.history.replaceState(window.history.state, "", url.toString());
  }

  function fillList(rows, home) {
    // the home city's twins first (as Wikidata states them), then the best-linked places
    const byQid = new Map(rows.map((r) => [r.qid, r]));
    const chosen = [];
    const seen = new Set();
    for (const qid of home) {
      const h = byQid.get(qid);
      if (!h) continue;
      for (const r of [h, ...h.neighbours.map((i) => rows[i])]) {
        if (!seen.has(r.qid)) { seen.add(r.qid); chosen.push(r); }
      }
    }
    for (const r of [...rows].sort((a, b) => b.twins - a.twins || a.label.localeCompare(b.label))) {
      if (chosen.length >= LISTED) break;
      if (!seen.has(r.qid)) { seen.add(r.qid); chosen.push(r); }
    }
    listBody.textContent = "";
    for (const r of chosen) {
      const li = document.createElement("li");
      const a = document.createElement("a");
      a.href = href(r.qid, r.curated);
      a.textContent = r.label;
      li.append(a, document.createTextNode(" – " + _("explore.world_twins", { n: r.twins }) +
        (r.kind === "context" ? " – " + _("explore.world_only") : "")));
      listBody.append(li);
    }
  }

  function draw(data) {
    const started = performance.now();
    const f = Object.fromEntries(data.fields.map((name, i) => [name, i]));
    const graph = new graphology.Graph({ type: "undirected", multi: false, allowSelfLoops: false });
    const rows = data.nodes.map((n) => ({ qid: n[f.qid], label: n[f.label], twins: n[f.twins], kind: n[f.kind],
                                          curated: n[f.curated], neighbours: [] }));
    data.nodes.forEach((n, i) => {
      const kind = n[f.kind];
      graph.addNode(n[f.qid], { label: n[f.label], x: n[f.x], y: -n[f.y], size: Math.min(10, 0.8 + 0.6 * Math.sqrt(n[f.twins])),
                                color: COLORS[kind] || COLORS.context, zIndex: kind === "context" ? 0 : 1,
                                forceLabel: kind !== "context" });
    });
    for (const [a, b] of data.edges) {
      const home = rows[a].kind !== "context" || rows[b].kind !== "context";
      graph.addEdge(rows[a].qid, rows[b].qid, { color: home ? "#7fa3cc" : "#d5dae0", size: home ? 0.8 : 0.3 });
      rows[a].neighbours.push(b);
      rows[b].neighbours.push(a);
    }
    renderer = new Sigma(graph, canvas, { hideEdgesOnMove: true, labelRenderedSizeThreshold: 7, labelDensity: 0.6,
                                          zIndex: true, defaultEdgeType: "line",
                                          allowInvalidContainer: true });  // hidden while switched off
    renderer.on("clickNode", ({ node }) => {
      const r = rows.find((row) => row.qid === node);
      if (r) window.location.href = href(r.qid, r.curated);
    });
    renderer.on("enterNode", () => { canvas.style.cursor = "pointer"; });
    renderer.on("leaveNode", () => { canvas.style.cursor = ""; });
    fillList(rows, data.home);
    window.requestAnimationFrame(() => {
      const ms = performance.now() - started;
      panel.dataset.firstDraw = String(Math.round(ms));
      panel.dataset.ready = "true";
      status.textContent = _("explore.world_status", { nodes: data.total_nodes.toLocaleString(lang),
                                                         edges: data.total_edges.toLocaleString(lang) });
    });
    window.hkiWorld = { renderer, graph, rows };
  }

  async function load() {
    status.textContent = _("explore.loading");
    const response = await fetch("/api/explore/world?lang=" + encodeURIComponent(lang), { headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(response.status + " " + response.statusText);
    return response.json();
  }

  async function show(on) {
    toggle.setAttribute("aria-pressed", on ? "true" : "false");
    panel.hidden = !on;
    if (view) view.hidden = on;
    const hint = document.getElementById("ex-hint");  // the hint of the city's own view (explore.js)
    if (hint) hint.classList.toggle("ex-world-on", on);
    remember(on);
    if (!on || renderer) {
      if (on && renderer) renderer.refresh();  // its container had no size while hidden
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

  toggle.addEventListener("click", () => show(toggle.getAttribute("aria-pressed") !== "true"));
  if (new URLSearchParams(window.location.search).get("world") === "1") {
    // after the city's own view has drawn once (vis-network cannot fit itself into a hidden box)
    const explorer = document.getElementById("explorer");
    if (explorer.dataset.ready === "true") show(true);
    else {
      const watch = new MutationObserver(() => {
        if (explorer.dataset.ready === "true") { watch.disconnect(); show(true); }
      });
      watch.observe(explorer, { attributes: true, attributeFilter: ["data-ready"] });
    }
  }
})();
