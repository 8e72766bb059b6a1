// The shared modules: el() (dom.js) and the socket wrapper (js/lib/socket.js).
import { test } from "node:test";
import assert from "node:assert/strict";
import { fire, load } from "./support.mjs";

const { el, cssEscape, jsonData } = await import("/static/common/dom.js");
const { connect, request, refusalText, DEFAULTS } = await load("js/lib/socket.js");

test("el() puts text in as text, never as markup", () => {
  const node = el("p", { text: "<b>bold</b>", class: "note" });
  assert.equal(node.innerHTML, "&lt;b&gt;bold&lt;/b&gt;");
  assert.equal(node.className, "note");
});

test("el() attributes: true is empty, false/null/undefined are left out; on… adds a listener", () => {
  let clicks = 0;
  const node = el("button", { disabled: true, hidden: false, title: null, "aria-label": undefined, onclick: () => clicks++ },
    "Go", null, el("span", { text: "!" }));
  assert.equal(node.getAttribute("disabled"), "");
  assert.ok(!node.hasAttribute("hidden") && !node.hasAttribute("title") && !node.hasAttribute("aria-label"));
  assert.equal(node.textContent, "Go!");
  fire(node, "click");
  assert.equal(clicks, 1);
});

test("jsonData() reads a page's configuration element and names a missing one", () => {
  document.body.innerHTML = '<script type="application/json" id="cfg">{"lang": "vi"}</script>';
  assert.deepEqual(jsonData("cfg"), { lang: "vi" });
  assert.throws(() => jsonData("nope"), /#nope/);
  assert.equal(cssEscape("a\"b"), "a\\\"b");
});

test("connect() uses the shared defaults and lets a page add its own", () => {
  const calls = [];
  const io = (ns, options) => { calls.push([ns, options]); return { ns }; };
  connect("/exam", { auth: "x" }, io);
  assert.deepEqual(calls[0], ["/exam", { ...DEFAULTS, auth: "x" }]);
  assert.deepEqual(calls[0][1].transports, ["websocket"]);
  assert.throws(() => connect("/monitor", {}, undefined), /socket\.io/);
});

test("request() resolves with the acknowledgement and rejects on a timeout", async () => {
  const socket = (err, resp) => ({
    timeout: (ms) => ({ emit: (event, payload, cb) => { assert.equal(ms, 500); cb(err, resp); } }),
  });
  assert.deepEqual(await request(socket(null, { ok: true }), "hello", {}, 500), { ok: true });
  await assert.rejects(request(socket(new Error("timeout")), "hello", {}, 500), /timeout/);
});

test("a refusal shows the server's own words, else the fallback", () => {
  assert.equal(refusalText({ code: "x", message: "Đã bị khoá" }, "fallback"), "Đã bị khoá");
  assert.equal(refusalText({ code: "x" }, "fallback"), "fallback");
  assert.equal(refusalText(null, "fallback"), "fallback");
});
