// Building DOM nodes without HTML strings: every text goes in as textContent, so nothing a
// candidate, an invigilator or an imported question wrote is ever parsed as markup.
//
// Shared by the server's pages and the check-in station (served at /static/common/dom.js).

/** `el("input", { type: "text", oninput: fn, disabled: true }, child, …)`.
 *  `text` sets the text; `on<event>` adds a listener; `true` sets an empty attribute;
 *  `false`, `null` and `undefined` leave the attribute out; children may be nodes or strings. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "text") node.textContent = String(v);
    else if (k.startsWith("on") && typeof v === "function") node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) node.append(c);
  return node;
}

/** `document.querySelector`, for brevity. */
export const $ = (selector, root = document) => root.querySelector(selector);

/** The parsed JSON of a `<script type="application/json" id=…>` element (the page's configuration). */
export function jsonData(id) {
  const node = document.getElementById(id);
  if (!node) throw new Error(`page has no #${id} data element`);
  return JSON.parse(node.textContent);
}

/** CSS.escape where the browser has it (a DOM without it, e.g. in unit tests, gets the same rule for ids). */
export function cssEscape(value) {
  const text = String(value);
  if (globalThis.CSS && typeof globalThis.CSS.escape === "function") return globalThis.CSS.escape(text);
  return text.replace(/[^\w-]/g, (c) => `\\${c}`);
}
