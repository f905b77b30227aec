// Pages for people: sortable tables and the neighbourhood view. Text from the data only ever goes
// into the page as textContent or as vis-network labels (drawn on a canvas), never as HTML.
"use strict";

(function sortableTables() {
  const collator = new Intl.Collator(document.documentElement.lang || "de", { numeric: true, sensitivity: "base" });
  for (const table of document.querySelectorAll("table.sortable")) {
    const headers = Array.from(table.tHead.rows[0].cells);
    headers.forEach((th, column) => {
      th.tabIndex = 0;
      const sort = () => {
        const ascending = th.getAttribute("aria-sort") !== "ascending";
        headers.forEach((h) => h.removeAttribute("aria-sort"));
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        const body = table.tBodies[0];
        const rows = Array.from(body.rows);
        const key = (row) => {
          const cell = row.cells[column];
          return cell ? (cell.dataset.key !== undefined ? cell.dataset.key : cell.textContent.trim()) : "";
        };
        rows.sort((a, b) => {
          const x = key(a), y = key(b);
          if (x === "" && y !== "") return 1;  // empty cells last, either way
          if (y === "" && x !== "") return -1;
          const order = collator.compare(x, y);
          return ascending ? order : -order;
        });
        for (const row of rows) body.appendChild(row);
      };
      th.addEventListener("click", sort);
      th.addEventListener("keydown", (event) => { if (event.key === "Enter" || event.key === " ") { event.preventDefault(); sort(); } });
    });
  }
})();

(function neighbourhood() {
  const island = document.getElementById("network-data");
  const container = document.getElementById("network");
  if (!island || !container || typeof vis === "undefined") return;
  const data = JSON.parse(island.textContent);
  if (!data.center) return;
  const colours = { city: "#0b5cad", partnership: "#2e8b57", membership: "#8e44ad", measure: "#d35400",
                    goal: "#c0392b", organisation: "#16a085", document: "#7f8c8d", milestone: "#b7950b",
                    sdg: "#1f618d", other: "#95a5a6" };
  const links = new Map();
  const nodes = [{ id: data.center.id, label: data.center.label, shape: "box", font: { color: "#fff" },
                   color: { background: "#1d2733", border: "#1d2733" } }];
  for (const n of data.nodes) {
    if (n.href && n.href.startsWith("/")) links.set(n.id, n.href);  // only links to this site
    nodes.push({ id: n.id, label: n.label.length > 42 ? n.label.slice(0, 40) + "…" : n.label,
                 color: colours[n.group] || colours.other, shape: "dot", size: 10 });
  }
  const edges = data.edges.map((e) => ({ from: e.from, to: e.to, arrows: "to", label: e.label,
                                         font: { size: 10, color: "#5b6675", strokeWidth: 3 }, color: "#aab4c0" }));
  const network = new vis.Network(container, { nodes: new vis.DataSet(nodes), edges: new vis.DataSet(edges) }, {
    physics: { stabilization: { iterations: 150 }, barnesHut: { springLength: 140 } },
    interaction: { hover: true, tooltipDelay: 200 }, nodes: { font: { size: 13 } },
  });
  network.once("stabilizationIterationsDone", () => network.setOptions({ physics: false }));
  network.on("click", (event) => {
    const id = event.nodes[0];
    if (id && links.has(id)) window.location.assign(links.get(id));
  });
  network.on("hoverNode", (event) => { container.style.cursor = links.has(event.node) ? "pointer" : "default"; });
  network.on("blurNode", () => { container.style.cursor = "default"; });
})();
