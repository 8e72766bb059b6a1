// The offline answer journal (candidate/journal.js): numbering shared by the tabs of an
// attempt, acknowledgement, refusals, and what survives a new login.
import { test } from "node:test";
import assert from "node:assert/strict";
import { IDBFactory } from "fake-indexeddb";
import { load } from "./support.mjs";

const { Journal, SeqCounter, loginNonce } = await load("candidate/journal.js");

let attempts = 0;
const fresh = () => `t${Date.now()}-${++attempts}`;

test("changes get increasing numbers and wait until the server acknowledged them", async () => {
  localStorage.clear();
  const j = new Journal(fresh(), "login-a");
  const a = await j.record(1, "A");
  const b = await j.record(2, "B");
  assert.ok(b.seq > a.seq);
  assert.deepEqual(j.pending().map((e) => e.q), [1, 2]);
  j.held(1, a.seq, "A");
  assert.deepEqual(j.pending().map((e) => e.q), [2]);
  assert.deepEqual(j.heldFor(1), { seq: a.seq, value: "A" });
});

test("a newer change of a question replaces the older entry", async () => {
  const j = new Journal(fresh(), "login-a");
  await j.record(3, "x");
  const last = await j.record(3, "xy");
  assert.equal(j.entriesFor(3).length, 1);
  assert.equal(j.pendingFor(3).seq, last.seq);
  assert.equal(j.pendingFor(3).value, "xy");
});

test("two tabs of one attempt never hand out the same number (IndexedDB counter)", async () => {
  const id = fresh();
  const tabs = [new Journal(id, "login-a"), new Journal(id, "login-a")];
  const entries = await Promise.all(Array.from({ length: 20 }, (_, k) => tabs[k % 2].record(k + 1, k)));
  const seqs = entries.map((e) => e.seq);
  assert.equal(new Set(seqs).size, seqs.length);
  assert.equal(tabs[0].pending().length, 20, "both tabs write into the same journal");
});

test("without IndexedDB the counter falls back to localStorage, still unique", async () => {
  const saved = window.indexedDB;
  window.indexedDB = undefined;
  try {
    const id = fresh();
    const a = new SeqCounter(id);
    const b = new SeqCounter(id);
    const seqs = [await a.next(), await b.next(), await a.next(), await b.next()];
    assert.equal(new Set(seqs).size, 4);
    assert.equal(localStorage.getItem(`exam-seq:${id}`), String(Math.max(...seqs) + 1));
  } finally {
    window.indexedDB = saved;
  }
});

test("numbering starts above what the server already holds", async () => {
  const j = new Journal(fresh(), "login-a");
  j.raiseSeq(41);
  const entry = await j.record(1, "A");
  assert.ok(entry.seq >= 42, `seq ${entry.seq}`);
});

test("seeding what the server holds keeps newer local changes", async () => {
  const j = new Journal(fresh(), "login-a");
  j.raiseSeq(5);
  const mine = await j.record(1, "mine");
  j.seedHeld({ 1: { seq: mine.seq - 1, value: "old" }, 2: { seq: 3, value: "B" } });
  assert.equal(j.pendingFor(1).value, "mine");
  assert.equal(j.heldFor(2).value, "B");
  j.held(1, mine.seq - 2, "older"); // never over a higher one
  assert.equal(j.heldFor(1).value, "old");
});

test("a final refusal stays listed but is not sent again", async () => {
  const j = new Journal(fresh(), "login-a");
  const a = await j.record(1, "bad");
  const b = await j.record(2, "ok");
  j.refuse(a.seq, "attempts.bad_value", "Giá trị không hợp lệ", true);
  j.refuse(b.seq, "attempts.refused_paused", "Đang tạm dừng", false);
  assert.deepEqual(j.sendable().map((e) => e.q), [2]);
  assert.equal(j.entry(a.seq).refused.message, "Giá trị không hợp lệ");
  assert.equal(j.pending().length, 2);
});

test("another login on this browser never sees (or replays) an older login's changes", async () => {
  const id = fresh();
  const old = new Journal(id, "login-a");
  await old.record(1, "old");
  old.markRevoked();
  const next = new Journal(id, "login-b");
  assert.equal(next.pending().length, 0);
  assert.equal(next.revoked, false);
  assert.equal(old.revoked, true);
  assert.ok(old.owns(`exam-journal:${id}:login-a:e:1`));
  assert.ok(!next.owns(`exam-journal:${id}:login-a:e:1`));
  next.clearAttempt();
  assert.equal(old.pending().length, 0, "the submitted attempt leaves nothing on the computer");
});

test("flags and notices are kept per question", async () => {
  const j = new Journal(fresh(), "login-a");
  j.setFlag(4, true);
  j.notice(4, "live.changed_elsewhere", "Câu 4 đã được thay đổi");
  assert.deepEqual(j.flags, { 4: true });
  assert.equal(j.noticeFor(4).message, "Câu 4 đã được thay đổi");
  j.setFlag(4, false);
  j.notice(4, null);
  assert.deepEqual(j.flags, {});
  assert.equal(j.noticeFor(4), null);
  j.clear();
});

test("the login nonce is made once and then reused", () => {
  localStorage.removeItem("exam-login");
  const first = loginNonce();
  assert.match(first, /^[0-9a-f]{24}$/);
  assert.equal(loginNonce(), first);
});

test("fake-indexeddb is a real IndexedDB (the counter's transaction semantics are exercised)", () => {
  assert.ok(window.indexedDB instanceof IDBFactory);
});
