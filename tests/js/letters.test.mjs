// Options are lettered A, B, C … in the order the candidate sees them, whatever their bank ids:
// the same letters the keys and item reports of that paper code use (papers.letter_map).
import { test, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { load, resetBody, settle } from "./support.mjs";

const { renderAnswer } = await load("candidate/render.js");
const { setCatalogue } = await import("/static/common/i18n.js");

beforeEach(() => {
  resetBody();
  setCatalogue({}, "en");
});

// Code 102 of the two-code fixture (tests/question_bank/test_paper_letters.py): the bank's
// correct option "o2" is shown fourth, so it is D here, and the response is still its id.
const code102 = [{ id: "o3", text: "Đà Nẵng" }, { id: "o1", text: "Hải Phòng" }, { id: "o4", text: "Huế" }, { id: "o2", text: "Hà Nội" }];

for (const type of ["single_choice", "multiple_response"]) {
  test(`${type}: letters follow the shown order, values stay the bank ids`, async () => {
    const area = renderAnswer({ type, stem: "", options: code102 }, 0, null, () => {});
    document.body.append(area);
    await settle();
    assert.deepEqual([...area.querySelectorAll(".opt-id")].map((s) => s.textContent), ["A.", "B.", "C.", "D."]);
    assert.deepEqual([...area.querySelectorAll("input")].map((i) => i.value), ["o3", "o1", "o4", "o2"]);
  });
}

test("bank ids that are letters do not leak as labels after a shuffle", async () => {
  const shuffled = [{ id: "C", text: "ba" }, { id: "A", text: "một" }, { id: "B", text: "hai" }];
  const area = renderAnswer({ type: "single_choice", stem: "", options: shuffled }, 0, null, () => {});
  document.body.append(area);
  await settle();
  assert.deepEqual([...area.querySelectorAll(".opt-id")].map((s) => s.textContent), ["A.", "B.", "C."]);
});
