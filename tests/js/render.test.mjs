// The question renderers (candidate/render.js, render_blanks.js): every answer area reports the
// response shape of question_bank/model.py, blanks sit inside the sentence, texts are escaped
// or sanitised, and the page's language is used.
import { test, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fire, load, resetBody, settle } from "./support.mjs";

const { renderAnswer, richText, isAnswered, wordCount } = await load("candidate/render.js");
const { QUESTION_TYPES, BLANK_TYPES, isTyped, isAnswerable } = await load("js/lib/question_types.js");
const { setCatalogue } = await import("/static/common/i18n.js");

/** Render `q` as the candidate page does (stem, then answer area); returns [area, emitted values]. */
async function show(q, value = null) {
  const emitted = [];
  const box = document.createElement("section");
  document.body.append(box);
  box.append(richText(q.stem || "", q.media));
  const area = renderAnswer(q, 0, value, (v) => emitted.push(v));
  box.append(area);
  await settle();
  return [box, emitted];
}

beforeEach(() => {
  resetBody();
  setCatalogue({}, "en");
});

const opts = [{ id: "A", text: "one" }, { id: "B", text: "two" }, { id: "C", text: "three" }];

test("the question types are the bank's (question_bank/model.py), in one place", () => {
  const model = readFileSync(new URL("../../question_bank/model.py", import.meta.url), "utf8");
  const literal = /QuestionType = Literal\[([^\]]+)\]/.exec(model)[1];
  const python = [...literal.matchAll(/"(\w+)"/g)].map((m) => m[1]);
  assert.deepEqual(Object.keys(QUESTION_TYPES).sort(), python.sort());
  const blanks = /BLANK_TYPES[^=]*= \(([^)]+)\)/.exec(model)[1];
  assert.deepEqual(BLANK_TYPES, [...blanks.matchAll(/"(\w+)"/g)].map((m) => m[1]));
  assert.ok(isTyped("essay") && isTyped("numeric") && !isTyped("single_choice"));
  assert.ok(!isAnswerable("description") && isAnswerable("cloze"));
});

test("single choice: radio buttons, the chosen id is the response", async () => {
  const [box, emitted] = await show({ type: "single_choice", stem: "Pick", options: opts }, "B");
  const radios = box.querySelectorAll("input[type=radio]");
  assert.equal(radios.length, 3);
  assert.ok(radios[1].checked);
  radios[2].checked = true;
  fire(radios[2], "change");
  assert.deepEqual(emitted, ["C"]);
  assert.equal(box.querySelector("legend").textContent, "Choose an answer");
});

test("multiple response says so, and reports every ticked id", async () => {
  setCatalogue({ "Choose one or more answers": "Chọn một hoặc nhiều đáp án" }, "vi");
  const [box, emitted] = await show({ type: "multiple_response", stem: "Pick", options: opts });
  assert.equal(box.querySelector("legend").textContent, "Chọn một hoặc nhiều đáp án");
  const boxes = box.querySelectorAll("input[type=checkbox]");
  boxes[0].checked = true;
  fire(boxes[0], "change");
  boxes[2].checked = true;
  fire(boxes[2], "change");
  assert.deepEqual(emitted.at(-1), ["A", "C"]);
});

test("true/false and a cluster of statements", async () => {
  setCatalogue({ True: "Đúng", False: "Sai" }, "vi");
  const [box, emitted] = await show({
    type: "tf_cluster", stem: "", statements: [{ id: "a", text: "1 + 1 = 2" }, { id: "b", text: "2 > 3" }],
  });
  const labels = [...box.querySelectorAll("label")].map((l) => l.textContent);
  assert.deepEqual(labels, ["Đúng", "Sai", "Đúng", "Sai"]);
  const radios = box.querySelectorAll("input[type=radio]");
  fire(radios[0], "change");
  fire(radios[3], "change");
  assert.deepEqual(emitted.at(-1), { a: true, b: false });
});

test("short answer in 4 boxes keeps only digits, minus and the decimal comma", async () => {
  const [box, emitted] = await show({ type: "short_answer4", stem: "" }, "1,5");
  const boxes = box.querySelectorAll("input.box");
  assert.deepEqual([...boxes].map((b) => b.value), ["1", ",", "5", ""]);
  boxes[3].value = "x";
  fire(boxes[3], "input");
  assert.equal(boxes[3].value, "");
  boxes[3].value = "7";
  fire(boxes[3], "input");
  assert.equal(emitted.at(-1), "1,57");
});

test("numeric answers open the decimal keyboard; text answers do not", async () => {
  const [numeric] = await show({ type: "numeric", stem: "" });
  assert.equal(numeric.querySelector("input").getAttribute("inputmode"), "decimal");
  resetBody();
  const [text, emitted] = await show({ type: "short_text", stem: "" }, "hi");
  const input = text.querySelector("input");
  assert.equal(input.getAttribute("inputmode"), null);
  input.value = "hello";
  fire(input, "input");
  assert.deepEqual(emitted, ["hello"]);
});

test("the essay counts words, with the language's plural", async () => {
  const [box, emitted] = await show({ type: "essay", stem: "" }, "one");
  const count = box.querySelector(".word-count");
  assert.equal(count.textContent, "1 word");
  const area = box.querySelector("textarea");
  area.value = "Hà Nội mùa thu";
  fire(area, "input");
  assert.equal(count.textContent, "4 words");
  assert.deepEqual(emitted, ["Hà Nội mùa thu"]);
  resetBody();
  setCatalogue({ "{n} word": ["{n} từ"] }, "vi");
  const [vi] = await show({ type: "essay", stem: "" }, "a b");
  assert.equal(vi.querySelector(".word-count").textContent, "2 từ");
  assert.equal(wordCount("it's well-known, 42"), 3);
});

test("matching: one select per left item; choosing nothing removes the pair", async () => {
  const q = { type: "matching", stem: "", left: [{ id: "1", text: "Hà Nội" }, { id: "2", text: "Huế" }],
    right: [{ id: "a", text: "north" }, { id: "b", text: "centre" }] };
  const [box, emitted] = await show(q, { 1: "a" });
  const selects = box.querySelectorAll("select");
  assert.equal(selects[0].value, "a");
  selects[1].value = "b";
  fire(selects[1], "change");
  assert.deepEqual(emitted.at(-1), { 1: "a", 2: "b" });
  selects[0].value = "";
  fire(selects[0], "change");
  assert.deepEqual(emitted.at(-1), { 2: "b" });
});

test("ordering: moving an item reports the new order; the ends cannot move further", async () => {
  const [box, emitted] = await show({ type: "ordering", stem: "", options: opts });
  const first = box.querySelectorAll("li")[0];
  assert.ok(first.querySelector("button[data-dir=up]").disabled);
  first.querySelector("button[data-dir=down]").click();
  assert.deepEqual(emitted.at(-1), ["B", "A", "C"]);
  assert.equal(box.querySelectorAll("li")[1].dataset.id, "A");
  assert.equal(box.querySelector("li button[data-dir=down]").getAttribute("aria-label"), "Move item 1 down");
});

test("cloze: each blank's control sits in its slot inside the sentence", async () => {
  setCatalogue({ "Gap {n}": "Chỗ trống {n}", "— Choose —": "— Chọn —" }, "vi");
  const q = {
    type: "cloze", stem: "The capital is {#1} and 2 + 2 = {#2}.", blanks: [
      { id: "1", kind: "multichoice", layout: "dropdown", options: [{ id: "a", text: "Hà Nội" }, { id: "b", text: "Huế" }] },
      { id: "2", kind: "numerical" },
    ],
  };
  const [box, emitted] = await show(q, { 2: "4" });
  const slots = box.querySelectorAll(".blank-slot");
  assert.equal(slots.length, 2);
  const select = slots[0].querySelector("select");
  assert.ok(select, "the dropdown is inside the first slot");
  assert.equal(select.getAttribute("aria-label"), "Chỗ trống 1");
  assert.equal(select.options[0].textContent, "— Chọn —");
  const number = slots[1].querySelector("input");
  assert.equal(number.value, "4");
  assert.equal(number.getAttribute("inputmode"), "decimal");
  assert.equal(box.querySelector(".blank-list"), null, "no list left once every control is in place");
  select.value = "a";
  fire(select, "change");
  assert.deepEqual(emitted.at(-1), { 1: "a", 2: "4" });
  number.value = " ";
  fire(number, "input");
  assert.deepEqual(emitted.at(-1), { 1: "a" }, "an emptied blank leaves the response");
});

test("without the stem (a preview of the answer area alone) the blanks stay in a numbered list", async () => {
  const q = { type: "cloze", stem: "", blanks: [{ id: "1", kind: "shortanswer" }] };
  const [box] = await show(q);
  assert.ok(box.querySelector(".blank-list li input"));
});

test("drag and drop words: a word fills one gap, placing it again moves it", async () => {
  const q = {
    type: "ddwtos", stem: "{#1} and {#2}", blanks: [{ id: "1", kind: "gap", group: 1 }, { id: "2", kind: "gap", group: 1 }],
    choices: [{ id: "x", text: "cats", group: 1, infinite: false }, { id: "y", text: "dogs", group: 1, infinite: false }],
  };
  const [box, emitted] = await show(q);
  assert.equal(box.querySelectorAll(".drag-tray .drag-choice").length, 2);
  const [first, second] = box.querySelectorAll(".blank-slot select");
  first.value = "x";
  fire(first, "change");
  assert.ok(box.querySelector('.drag-choice[data-choice="x"]').classList.contains("used"));
  second.value = "x";
  fire(second, "change");
  assert.deepEqual(emitted.at(-1), { 2: "x" });
  assert.equal(first.value, "", "the first gap gave the word up");
});

test("gap select offers only the gap's group", async () => {
  const q = {
    type: "gapselect", stem: "{#1}", blanks: [{ id: "1", kind: "gap", group: 2 }],
    choices: [{ id: "x", text: "a", group: 1 }, { id: "y", text: "b", group: 2 }],
  };
  const [box] = await show(q);
  const values = [...box.querySelectorAll("select option")].map((o) => o.value);
  assert.deepEqual(values, ["", "y"]);
  assert.equal(box.querySelector(".drag-tray"), null);
});

test("a description and an unknown type ask for no answer", async () => {
  const [box] = await show({ type: "description", stem: "Read this." });
  assert.equal(box.querySelector(".note").textContent, "No answer needed here.");
  resetBody();
  const [other] = await show({ type: "hologram", stem: "" });
  assert.ok(other.querySelector(".note"));
});

test("plain text is escaped; HTML stems are sanitised; media come only from the paper", () => {
  const plain = richText("1 < 2 <script>alert(1)</script>\nline two");
  assert.equal(plain.querySelector("script"), null);
  assert.equal(plain.querySelectorAll("br").length, 1);
  assert.match(plain.textContent, /<script>/);
  const media = [{ name: "map.png", mime: "image/png", data_b64: "iVBORw0KGgo=" }];
  const html = richText('<p onclick="x()">Look <img src="@@MEDIA/map.png"><img src="https://evil.test/t.png"><script>bad()</script></p>', media);
  assert.equal(html.querySelector("script"), null);
  assert.equal(html.querySelector("[onclick]"), null);
  const imgs = html.querySelectorAll("img");
  assert.equal(imgs[0].getAttribute("src"), "data:image/png;base64,iVBORw0KGgo=");
  assert.equal(imgs[1].getAttribute("src"), null, "nothing loads from elsewhere");
  const carried = richText("See @@MEDIA/map.png here", media);
  assert.equal(carried.querySelector("img.media").getAttribute("alt"), "map.png");
});

test("answered means something was given", () => {
  assert.equal(isAnswered({}, null), false);
  assert.equal(isAnswered({}, "  "), false);
  assert.equal(isAnswered({}, []), false);
  assert.equal(isAnswered({}, {}), false);
  assert.equal(isAnswered({}, false), true);
  assert.equal(isAnswered({}, { 1: "a" }), true);
});
