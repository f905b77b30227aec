// The list pages' filter form (api/templates/_list_parts.html) works without this script. With it, the
// address after "Anzeigen" leaves out empty fields (no "&from=&to="), so it is short enough to share.
"use strict";

for (const form of document.querySelectorAll("form.filters")) {
  form.addEventListener("submit", () => {
    for (const field of form.querySelectorAll("input")) {
      if (field.type !== "checkbox" && field.value.trim() === "") field.disabled = true;
    }
  });
  // Back to a page whose fields the submit disabled (the browser's cache): usable again.
  window.addEventListener("pageshow", () => { for (const field of form.querySelectorAll("input")) field.disabled = false; });
}
