// Starts Swagger UI on /docs (api/web/api_docs.py); a file, not an inline script, for the Content-Security-Policy.
// deepLinking stays off: with it, Swagger UI puts a link inside each operation's toggle button, which keyboard
// and screen-reader users cannot tell apart (axe: nested-interactive).
"use strict";
window.addEventListener("DOMContentLoaded", function () {
  var element = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: element.getAttribute("data-openapi"),
    domNode: element,
    deepLinking: false,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    syntaxHighlight: { activated: true, theme: "idea" },
  });
});
