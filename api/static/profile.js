// The partner profile: a button that opens the browser's print dialog (print or save as PDF). Without
// JavaScript the button stays hidden and the browser's own "Print" works the same (api/static/print.css).
"use strict";

(function printButton() {
  const button = document.getElementById("print-button");
  if (!button) return;
  button.hidden = false;
  const hint = document.getElementById("print-hint");
  if (hint) hint.hidden = false;
  button.addEventListener("click", () => window.print());
})();
