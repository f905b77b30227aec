// The query page: CodeMirror editor with prefix completion, example questions, results as a table.
// Every text that comes from data or from the server is put into the page with textContent or as an
// attribute value, never as HTML.
(function () {
  "use strict";

  var data = JSON.parse(document.getElementById("client-data").textContent);
  // The page's words, msgid → text, from the gettext catalogues (api/web/locales: sparql.*); _() looks one up.
  var T = data.text;
  var _ = function (msgid) { return Object.prototype.hasOwnProperty.call(T, msgid) ? T[msgid] : msgid; };
  var PREFIXES = data.prefixes;
  var EXAMPLES = {};
  data.examples.forEach(function (e) { EXAMPLES[e.slug] = e; });
  var STORAGE_KEY = "hki-sparql-query";
  var RESULT_ACCEPT = "application/sparql-results+json, text/turtle;q=0.9";

  var textarea = document.getElementById("query");
  var saved = null;
  try { saved = window.sessionStorage.getItem(STORAGE_KEY); } catch (e) { /* storage may be off */ }
  if (saved) { textarea.value = saved; }

  // ---------------------------------------------------------------- prefix completion

  function declared(cm) {
    var names = {};
    var re = /PREFIX\s+([A-Za-z][\w.-]*|):/gi;
    var text = cm.getValue();
    var m;
    while ((m = re.exec(text)) !== null) { names[m[1]] = true; }
    return names;
  }

  function prefixHint(cm) {
    var cursor = cm.getCursor();
    var before = cm.getLine(cursor.line).slice(0, cursor.ch);
    var word = /[A-Za-z][\w-]*$/.exec(before);
    var typed = word ? word[0] : "";
    var start = cursor.ch - typed.length;
    var inDeclaration = /^\s*PREFIX\s+[\w-]*$/i.test(before);
    var list = Object.keys(PREFIXES).sort().filter(function (p) {
      return p.toLowerCase().indexOf(typed.toLowerCase()) === 0;
    }).map(function (p) {
      return {
        text: inDeclaration ? p + ": <" + PREFIXES[p] + ">" : p + ":",
        displayText: p + ":  " + PREFIXES[p],
        prefix: p
      };
    });
    var result = { list: list, from: CodeMirror.Pos(cursor.line, start), to: cursor };
    CodeMirror.on(result, "pick", function (picked) {
      if (!inDeclaration) { declarePrefix(cm, picked.prefix); }
    });
    return result;
  }

  function declarePrefix(cm, prefix) {
    if (!PREFIXES.hasOwnProperty(prefix) || declared(cm)[prefix]) { return; }
    cm.replaceRange("PREFIX " + prefix + ": <" + PREFIXES[prefix] + ">\n", CodeMirror.Pos(0, 0));
  }

  var editor = CodeMirror.fromTextArea(textarea, {
    mode: "application/sparql-query",
    lineNumbers: true,
    indentUnit: 2,
    viewportMargin: Infinity,
    // long lines wrap instead of scrolling sideways: the editor fits a phone's width (WCAG 1.4.10)
    lineWrapping: true,
    // The editor's own text field is what the keyboard and screen readers reach: it gets the label of the query
    // box and its keyboard hint (WCAG 1.3.1, 4.1.2)
    screenReaderLabel: _("sparql.query"),
    extraKeys: {
      // Tab and Shift+Tab leave the editor like any text field, so keyboard users are never trapped in it
      // (WCAG 2.1.2); the example queries are indented already, and Enter keeps a line's indentation.
      "Tab": false,
      "Shift-Tab": false,
      "Ctrl-Enter": function () { run(); },
      "Cmd-Enter": function () { run(); },
      "Ctrl-Space": function (cm) { cm.showHint({ hint: prefixHint, completeSingle: false }); }
    }
  });
  editor.on("inputRead", function (cm, change) {
    var typed = change.text.join("");
    var line = cm.getLine(change.from.line);
    if (typed === ":" && !/^\s*PREFIX/i.test(line)) {
      // "schema:" typed in the query body: declare the prefix if it is known and not yet declared
      var m = /([A-Za-z][\w-]*)$/.exec(line.slice(0, change.from.ch));
      if (m) { declarePrefix(cm, m[1]); }
    } else if (/^[A-Za-z]$/.test(typed) && /^\s*PREFIX\s+[\w-]*$/i.test(line.slice(0, change.from.ch + 1))) {
      cm.showHint({ hint: prefixHint, completeSingle: false });
    }
  });
  editor.getInputField().setAttribute("aria-describedby", "editor-keys");
  editor.on("change", function () {
    clearErrorMark();
    try { window.sessionStorage.setItem(STORAGE_KEY, editor.getValue()); } catch (e) { /* ignore */ }
  });

  // ---------------------------------------------------------------- running a query

  var runButton = document.getElementById("run");
  var resultSection = document.getElementById("result");
  var statusLine = document.getElementById("status");
  var truncatedNotice = document.getElementById("truncated");
  var errorBox = document.getElementById("error");
  var tableWrap = document.getElementById("table-wrap");
  var downloads = document.getElementById("downloads");
  var errorLine = null;
  var lastQuery = null;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function clearErrorMark() {
    if (errorLine !== null) {
      editor.removeLineClass(errorLine, "background", "cm-error-line");
      errorLine = null;
    }
  }

  function formatNumber(n) {
    return Number(n).toLocaleString(data.lang === "de" ? "de-DE" : "en-GB");
  }

  function post(query, accept, format) {
    var body = new URLSearchParams();
    body.set("query", query);
    if (format) { body.set("format", format); }
    return fetch("/sparql", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", "Accept": accept },
      body: body.toString()
    });
  }

  function run() {
    var query = editor.getValue();
    lastQuery = query;
    clearErrorMark();
    runButton.disabled = true;
    runButton.textContent = _("sparql.running");
    resultSection.hidden = false;
    errorBox.hidden = true;
    truncatedNotice.hidden = true;
    downloads.hidden = true;
    statusLine.textContent = "";
    tableWrap.replaceChildren();
    var started = performance.now();
    post(query, RESULT_ACCEPT).then(function (response) {
      return response.text().then(function (text) {
        var ms = Math.round(performance.now() - started);
        if (!response.ok) { showError(response.status, text); return; }
        var type = response.headers.get("Content-Type") || "";
        var truncated = response.headers.get("X-HKI-Truncated");
        if (truncated) {
          truncatedNotice.textContent = _("sparql.truncated").replace("{n}", formatNumber(data.maxRows));
          truncatedNotice.hidden = false;
        }
        if (type.indexOf("application/sparql-results+json") === 0) {
          showSolutions(JSON.parse(text), ms);
        } else {
          statusLine.textContent = ms + " ms";
          scrollable(tableWrap.appendChild(el("pre", "graph-result", text)));
        }
      });
    }).catch(function () {
      showError(0, _("sparql.network"));
    }).then(function () {
      runButton.disabled = false;
      runButton.textContent = _("sparql.run");
    });
  }

  function showError(status, message) {
    statusLine.textContent = "";
    errorBox.replaceChildren();
    errorBox.appendChild(el("strong", null, _("sparql.error")));
    if (status) { errorBox.appendChild(el("span", "tag", "HTTP " + status)); }
    var at = /line (\d+), column (\d+)/.exec(message);
    if (at) {
      errorBox.appendChild(el("p", "error-where", _("sparql.where").replace("{line}", at[1]).replace("{column}", at[2])));
    }
    errorBox.appendChild(el("pre", null, message.trim()));
    errorBox.hidden = false;
    if (at) {
      var line = Number(at[1]) - 1;
      if (line >= 0 && line < editor.lineCount()) {
        errorLine = line;
        editor.addLineClass(line, "background", "cm-error-line");
        editor.setCursor(CodeMirror.Pos(line, Math.max(0, Number(at[2]) - 1)));
      }
    }
    reveal();
  }

  // A result wider than the page scrolls inside its box: the box takes the keyboard focus, so it can be
  // scrolled with the arrow keys too (WCAG 2.1.1), and is named for screen readers.
  function scrollable(box) {
    box.setAttribute("tabindex", "0");
    box.setAttribute("role", "region");
    box.setAttribute("aria-label", _("sparql.results"));
  }

  function reveal() {
    var box = resultSection.getBoundingClientRect();
    if (box.top > window.innerHeight - 120) {
      resultSection.scrollIntoView({ block: "start" });
    }
  }

  function compact(iri) {
    var best = null;
    Object.keys(PREFIXES).forEach(function (p) {
      var ns = PREFIXES[p];
      if (iri.indexOf(ns) === 0 && iri.length > ns.length && (best === null || ns.length > PREFIXES[best].length)) {
        var local = iri.slice(ns.length);
        if (/^[\w.-]+$/.test(local)) { best = p; }
      }
    });
    return best === null ? iri : best + ":" + iri.slice(PREFIXES[best].length);
  }

  function termCell(term) {
    var td = el("td");
    if (!term) { return td; }
    if (term.type === "uri") {
      var shown = compact(term.value);
      if (/^https?:\/\//i.test(term.value)) {
        var a = el("a", "iri", shown);
        // IRIs in this dataset's own space are served by this server (/id/..., /scheme/..., /def).
        a.href = term.value.indexOf(data.base) === 0 ? "/" + term.value.slice(data.base.length) : term.value;
        a.title = term.value;
        td.appendChild(a);
      } else {
        td.appendChild(el("span", "iri", shown));
      }
    } else if (term.type === "bnode") {
      td.appendChild(el("span", "bnode", "_:" + term.value));
    } else if (term.type === "literal" || term.type === "typed-literal") {
      var literal = el("span", "literal", term.value);
      td.appendChild(literal);
      if (term["xml:lang"]) {
        // the language of a text is said to the browser and to screen readers, not printed as "@de" after it
        literal.setAttribute("lang", term["xml:lang"]);
      } else if (term.datatype && !/#(integer|decimal|double|string|gYear|gYearMonth|date|dateTime)$/.test(term.datatype)) {
        var tag = el("span", "tag", compact(term.datatype));
        tag.title = term.datatype;
        td.appendChild(tag);
      }
      if (term.datatype && /#(integer|decimal|double|float|int|long)$/.test(term.datatype)) {
        td.className = "num";
      }
    } else {
      td.textContent = JSON.stringify(term.value);
    }
    return td;
  }

  function showSolutions(doc, ms) {
    downloads.hidden = false;
    if (typeof doc.boolean === "boolean") {
      statusLine.textContent = ms + " ms";
      tableWrap.appendChild(el("p", "boolean", doc.boolean ? _("sparql.yes") : _("sparql.no")));
      return;
    }
    var vars = doc.head.vars;
    var rows = doc.results.bindings;
    statusLine.textContent = formatNumber(rows.length) + " " + (rows.length === 1 ? _("sparql.row") : _("sparql.rows")) + " " + _("sparql.in") + " " + ms + " ms";
    if (rows.length === 0) {
      tableWrap.appendChild(el("p", "empty", _("sparql.empty")));
      return;
    }
    var table = el("table", "data results");
    var head = el("thead");
    var headRow = el("tr");
    vars.forEach(function (v) { headRow.appendChild(el("th", null, v)); });
    head.appendChild(headRow);
    table.appendChild(head);
    var body = el("tbody");
    rows.forEach(function (row) {
      var tr = el("tr");
      vars.forEach(function (v) { tr.appendChild(termCell(row[v])); });
      body.appendChild(tr);
    });
    table.appendChild(body);
    tableWrap.appendChild(table);
    scrollable(tableWrap);
    reveal();
  }

  function download(format, accept, name) {
    if (lastQuery === null) { return; }
    post(lastQuery, accept, format).then(function (response) {
      if (!response.ok) { return response.text().then(function (t) { showError(response.status, t); }); }
      return response.blob().then(function (blob) {
        var url = URL.createObjectURL(blob);
        var a = el("a");
        a.href = url;
        a.download = name;
        document.body.appendChild(a);
        a.click();
        a.remove();
        setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
      });
    }).catch(function () { showError(0, _("sparql.network")); });
  }

  document.getElementById("download-csv").addEventListener("click", function () {
    download("csv", "text/csv", "hki-result.csv");
  });
  document.getElementById("download-json").addEventListener("click", function () {
    download("json", "application/sparql-results+json", "hki-result.json");
  });

  document.getElementById("query-form").addEventListener("submit", function (event) {
    event.preventDefault();
    run();
  });

  Array.prototype.forEach.call(document.querySelectorAll("button.example"), function (button) {
    button.addEventListener("click", function () {
      var example = EXAMPLES[button.getAttribute("data-slug")];
      if (!example) { return; }
      Array.prototype.forEach.call(document.querySelectorAll("button.example"), function (b) {
        b.classList.toggle("active", b === button);
        b.setAttribute("aria-pressed", b === button ? "true" : "false");
      });
      editor.setValue(example.sparql);
      run();
    });
  });
})();
