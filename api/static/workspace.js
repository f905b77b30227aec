// The workspace's forms (api/templates/workspace_form.html, workspace_change.html) work without this script. With it:
// - the summary of errors (or a conflict) gets the focus when the page opens, so a screen reader reads it first;
// - a link field's list gets a search box above it: typing asks /api/search (the JSON API of the published data)
//   for entries of the field's classes and puts the matches into the list (the choice stays in the <select>, so
//   the form sends the same as without the script); the number of matches is announced;
// - a field with several values gets a button for one more input.
// Its words come from data- attributes the page writes (no text in this file).
"use strict";

const focusFirst = document.getElementById("error-summary") || document.querySelector("#conflict[tabindex]") ||
  document.getElementById("change-error");
if (focusFirst) focusFirst.focus();

const pageLang = document.documentElement.lang === "en" ? "en" : "de";

function debounce(fn, ms) {
  let timer = null;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
}

function addSearch(select) {
  const types = (select.dataset.searchTypes || "").split(" ").filter(Boolean);
  const box = document.createElement("input");
  box.type = "search";
  box.id = select.id + "-search";
  box.className = "typeahead";
  box.setAttribute("autocomplete", "off");
  box.setAttribute("aria-controls", select.id);
  const label = document.createElement("label");
  label.htmlFor = box.id;
  label.className = "search-label";
  label.textContent = select.dataset.searchLabel || "";
  const status = document.createElement("span");
  status.className = "search-status";
  status.id = select.id + "-status";
  status.setAttribute("role", "status");
  status.setAttribute("aria-live", "polite");
  box.setAttribute("aria-describedby", status.id);
  const wrap = document.createElement("span");
  wrap.className = "search";
  wrap.append(label, box, status);
  select.before(wrap);
  const original = Array.from(select.options).map((o) => ({ value: o.value, text: o.text }));
  let asked = 0;

  function show(options) {
    const chosen = select.value;
    const keep = original.filter((o) => o.value === "" || o.value === chosen);
    const seen = new Set(keep.map((o) => o.value));
    select.replaceChildren();
    for (const o of keep.concat(options.filter((o) => !seen.has(o.value)))) {
      const option = document.createElement("option");
      option.value = o.value;
      option.textContent = o.text;
      if (o.value === chosen) option.selected = true;
      select.append(option);
    }
  }

  const search = debounce(async () => {
    const q = box.value.trim();
    const mine = ++asked;
    if (q.length < 2) {
      show(original.filter((o) => o.value !== ""));
      status.textContent = "";
      return;
    }
    const params = new URLSearchParams({ q, lang: pageLang, limit: "20" });
    for (const type of types) params.append("type", type);
    try {
      const answer = await fetch("/api/search?" + params.toString(), { headers: { Accept: "application/json" } });
      if (!answer.ok || mine !== asked) return;
      const found = (await answer.json()).results.map((hit) => ({ value: hit.iri, text: hit.label }));
      show(found);
      if (found.length && !select.value) select.value = found[0].value;
      const words = found.length ? select.dataset.searchFound || "{n}" : select.dataset.searchNone || "";
      status.textContent = words.replace("{n}", String(found.length));
    } catch (error) {
      status.textContent = "";
    }
  }, 250);
  box.addEventListener("input", search);
  box.addEventListener("keydown", (event) => {
    if (event.key === "Enter") { event.preventDefault(); select.focus(); }
  });
}

for (const select of document.querySelectorAll("select[data-search-types]")) addSearch(select);

for (const values of document.querySelectorAll("fieldset.values")) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "secondary add-value";
  button.textContent = values.dataset.moreLabel || "+";
  button.addEventListener("click", () => {
    const rows = values.querySelectorAll("p.value");
    const last = rows[rows.length - 1];
    const row = last.cloneNode(true);
    const n = rows.length + 1;
    const control = row.querySelector("input, select, textarea");
    const oldId = control.id;
    control.id = oldId.replace(/-\d+$/, "-" + n);
    control.value = "";
    control.removeAttribute("aria-invalid");
    const label = row.querySelector("label");
    label.htmlFor = control.id;
    label.textContent = label.textContent.replace(/\d+$/, String(n));
    for (const extra of row.querySelectorAll(".search")) extra.remove();
    last.after(row);
    if (control.matches("select[data-search-types]")) addSearch(control);
    control.focus();
  });
  values.append(button);
}
