// Building page elements from data without ever parsing it as HTML: el("a", { href, class, text }, …children).
// Text goes in with textContent or as text nodes; attributes are set one by one. Shared by explore.js and
// explore-world.js (loaded before them).
"use strict";

window.hkiDom = (function () {
  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (name === "class") node.className = value;
      else if (name === "text") node.textContent = value;
      else node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }
  return { el };
})();
