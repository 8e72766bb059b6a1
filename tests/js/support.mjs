// What every JavaScript unit test needs: the pages' module paths, and a browser-like global
// scope (jsdom's window and document, localStorage, IndexedDB from fake-indexeddb).
// Test files import this first and load the modules under test with `await import(...)`,
// so the resolve hook is in place before those modules are linked.
import { register } from "node:module";
import { JSDOM } from "jsdom";
import { IDBFactory } from "fake-indexeddb";

register("./hooks.mjs", import.meta.url);

export const STATIC = new URL("../../exam_server/static/", import.meta.url);
export const CLIENT_STATIC = new URL("../../exam_client/station/static/", import.meta.url);

const dom = new JSDOM("<!doctype html><html lang=\"vi\"><body></body></html>", { url: "https://exam.test/exam" });
const { window } = dom;
window.indexedDB = new IDBFactory();
for (const name of ["window", "document", "Node", "Element", "HTMLElement", "HTMLInputElement", "DocumentFragment",
  "DOMParser", "Event", "KeyboardEvent", "localStorage", "navigator"]) {
  Object.defineProperty(globalThis, name, { value: name === "window" ? window : window[name], configurable: true, writable: true });
}
globalThis.indexedDB = window.indexedDB;

/** Load a module of exam_server/static (e.g. "candidate/render.js"). */
export function load(path) {
  return import(new URL(path, STATIC).href);
}

/** A fresh page body. */
export function resetBody() {
  document.body.replaceChildren();
}

/** Let queued microtasks (the blanks moving into their slots) run. */
export const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

/** Fire a DOM event of `type` (input, change, click…) at `node`. */
export function fire(node, type) {
  node.dispatchEvent(new window.Event(type, { bubbles: true }));
}
