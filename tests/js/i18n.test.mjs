import { test } from "node:test";
import assert from "node:assert/strict";
import "./support.mjs";

const { format, setCatalogue, t, tn, formatNumber } = await import("/static/common/i18n.js");

test("t() translates English source text and fills brace parameters", () => {
  setCatalogue({ "Question {n}": "Câu {n}", Saved: "Đã lưu" }, "vi");
  assert.equal(t("Saved"), "Đã lưu");
  assert.equal(t("Question {n}", { n: 3 }), "Câu 3");
});

test("a text missing from the catalogue shows its English source, never a key", () => {
  setCatalogue({}, "vi");
  assert.equal(t("Your answer"), "Your answer");
  assert.equal(t("Question {n}", { n: 2 }), "Question 2");
});

test("a parameter the caller forgot stays visible", () => {
  assert.equal(format("Seat {seat}, code {code}", { seat: "M07" }), "Seat M07, code {code}");
  assert.equal(format("{n} of {total}", { n: 0, total: 5 }), "0 of 5");
});

test("tn() picks the plural form by the language's rule", () => {
  setCatalogue({ "{n} word": ["{n} word", "{n} words"] }, "en");
  assert.equal(tn("{n} word", "{n} words", 1), "1 word");
  assert.equal(tn("{n} word", "{n} words", 2), "2 words");
  assert.equal(tn("{n} word", "{n} words", 0), "0 words");
  setCatalogue({ "{n} word": ["{n} từ"] }, "vi");
  assert.equal(tn("{n} word", "{n} words", 1), "1 từ");
  assert.equal(tn("{n} word", "{n} words", 7), "7 từ");
});

test("tn() without a catalogue entry falls back to the English forms", () => {
  setCatalogue({}, "vi");
  assert.equal(tn("{n} minute left.", "{n} minutes left.", 1), "1 minute left.");
  assert.equal(tn("{n} minute left.", "{n} minutes left.", 5, { end: "x" }), "5 minutes left.");
});

test("numbers use the page's decimal separator", () => {
  setCatalogue({}, "vi");
  assert.equal(formatNumber(1.5), "1,5");
  setCatalogue({}, "en");
  assert.equal(formatNumber(1.5), "1.5");
});
