// The seat map and the room tiles of the live dashboard (monitor/seat_map.js): one tile per
// seat in seat order, its state in a class, a sign and words; never "writing" for a candidate the
// server did not see log in; the room tile's counts are the seat tiles' states counted.
import { test, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fire, load, resetBody } from "./support.mjs";

const {
  seatState, renderSeatMap, renderOverview, roomCounts, overviewCounts, overviewTotals, possibleActions, openSeatMenu,
  bySeat, STALE_SAVE_S,
} = await load("monitor/seat_map.js");
const SHARED = JSON.parse(readFileSync(new URL("./seat_states.json", import.meta.url), "utf8"));
const { setCatalogue } = await import("/static/common/i18n.js");

const NOW = 1_800_000_000_000;

function row(over) {
  return {
    registration: 1, attempt: 11, sbd: "010001", name: "Nguyễn Văn An", room: 1, seat: "M01", state: "expected",
    locked: false, online: false, last_save: null, answered: 0, questions: 10, seb: "", incidents: 0,
    disqualified: false, ...over,
  };
}

beforeEach(() => {
  resetBody();
  setCatalogue({}, "en");
});

test("each state gets its own tile state; what needs the invigilator wins", () => {
  // the same table checks the server's copy of the rule (monitor.rows.seat_state), which counts
  // the sitting's room tiles
  for (const { row: over, expected } of SHARED.cases) {
    assert.equal(seatState({ ...SHARED.row, ...over }, SHARED.now), expected, JSON.stringify(over));
  }
  assert.equal(STALE_SAVE_S, 300);
});

test("a room's seats: buttons in seat order with class, sign, words, name on hover and focus", () => {
  const box = document.createElement("div");
  document.body.append(box);
  const picked = [];
  const rows = [
    row({ registration: 3, sbd: "010003", name: "Lê Văn Cường", seat: "M10", state: "writing", online: true,
      last_save: NOW - 12_000, answered: 4 }),
    row({ registration: 1, sbd: "010001", seat: "M02", state: "expected" }),
    row({ registration: 2, sbd: "010002", name: "Trần Thị Bình", seat: "M01", state: "writing", online: false }),
  ];
  renderSeatMap(box, rows, { now: NOW, seats: ["M01", "M02", "M03", "M10"], onPick: (r) => picked.push(r.sbd) });
  const tiles = [...box.querySelectorAll(".seat-grid > li > *")];
  assert.deepEqual(tiles.map((t) => t.querySelector(".seat-label").textContent), ["M01", "M02", "M03", "M10"]);
  const buttons = [...box.querySelectorAll("button.seat")];
  assert.equal(buttons.length, 3); // the empty seat M03 is a place, not a control
  assert.ok(box.querySelector(".seat-empty").textContent.includes("Empty seat"));
  assert.deepEqual(buttons.map((b) => b.dataset.state), ["offline", "expected", "writing"]);
  assert.ok(buttons[0].classList.contains("seat-offline") && buttons[2].classList.contains("seat-writing"));
  assert.equal(buttons[1].querySelector(".seat-state").textContent, "Not arrived");
  assert.ok(buttons[2].querySelector(".seat-icon").textContent.length > 0); // not colour alone
  assert.equal(buttons[2].querySelector(".seat-detail").textContent, "Saved 12 s ago");
  const name = buttons[2].getAttribute("aria-label");
  assert.ok(name.includes("Lê Văn Cường") && name.includes("Cand. no. 010003") && name.includes("Writing"), name);
  assert.equal(buttons[2].title, name);
  assert.equal(buttons[2].querySelector(".seat-tip").textContent, "Lê Văn Cường · Cand. no. 010003");
  assert.equal(buttons[0].type, "button");
  fire(buttons[0], "click");
  assert.deepEqual(picked, ["010002"]);
});

test("texts come from the catalogue (Vietnamese)", () => {
  setCatalogue({ "Not arrived": "Chưa đến", "Seat {seat}": "Máy {seat}" }, "vi");
  const box = document.createElement("div");
  renderSeatMap(box, [row({})], { now: NOW });
  assert.equal(box.querySelector(".seat-state").textContent, "Chưa đến");
  assert.ok(box.querySelector("button").getAttribute("aria-label").startsWith("Máy M01"));
});

test("re-rendering keeps the keyboard focus on the same candidate", () => {
  const box = document.createElement("div");
  document.body.append(box);
  const rows = [row({ registration: 1, seat: "M01" }), row({ registration: 2, seat: "M02", sbd: "010002" })];
  renderSeatMap(box, rows, { now: NOW });
  box.querySelector("button[data-reg='2']").focus();
  renderSeatMap(box, rows, { now: NOW + 1000 });
  assert.equal(document.activeElement.dataset.reg, "2");
});

test("room tiles count exactly the states their seat tiles show, with alerts", () => {
  const rows = [
    row({ registration: 1, room: 1, state: "writing", online: true, last_save: NOW - 5000 }),
    row({ registration: 2, room: 1, state: "writing", online: false, seb: "seb.missing", incidents: 2 }),
    row({ registration: 3, room: 1, state: "expected" }),
    row({ registration: 4, room: 2, state: "submitted" }),
  ];
  const counts = roomCounts(rows.filter((r) => r.room === 1), NOW);
  assert.equal(counts.total, 3);
  assert.deepEqual(Object.entries(counts.states).filter(([, n]) => n), [["expected", 1], ["writing", 1], ["offline", 1]]);
  assert.deepEqual(counts.alerts, { offline: 1, seb: 1, incidents: 2 });

  const box = document.createElement("div");
  const opened = [];
  const byRoom = new Map([1, 2].map((id) => [id, roomCounts(rows.filter((r) => r.room === id), NOW)]));
  renderOverview(box, [{ id: 1, name: "P01", state: "started" }, { id: 2, name: "P02", state: "ended" }, { id: 3, name: "P03", state: "scheduled" }],
    byRoom, { now: NOW, roomLabel: (s) => `state:${s}`, onOpen: (r) => opened.push(r.name) });
  const tiles = box.querySelectorAll("button.room-tile");
  assert.equal(tiles.length, 3);
  assert.ok(tiles[2].querySelector(".room-total").textContent.includes("0")); // a room nobody sits in
  const shown = Object.fromEntries([...tiles[0].querySelectorAll(".room-counts > div")]
    .map((d) => [d.dataset.state, Number(d.querySelector("dd").textContent)]));
  assert.deepEqual(shown, { expected: 1, writing: 1, offline: 1 });
  assert.ok(tiles[0].classList.contains("room-alert") && !tiles[1].classList.contains("room-alert"));
  assert.ok(tiles[0].querySelector(".room-alerts").textContent.includes("1 offline"));
  assert.ok(tiles[0].querySelector(".room-alerts").textContent.includes("2 incidents"));
  assert.equal(tiles[1].querySelector(".room-state").textContent, "state:ended");
  fire(tiles[1], "click");
  assert.deepEqual(opened, ["P02"]);
});

test("a tile from the server's aggregate keeps counting as its rows would as time goes by", () => {
  const lateUntil = NOW + 60_000;
  const rows = [
    row({ registration: 1, state: "writing", online: true, last_save: NOW - 10_000 }),
    row({ registration: 2, state: "writing", online: true, last_save: NOW - 100_000 }),
    row({ registration: 3, state: "absent", late_until: lateUntil }),
    row({ registration: 4, state: "absent", code_issued: true, late_until: lateUntil }),
    row({ registration: 5, state: "writing", online: false, seb: "seb.missing", incidents: 1 }),
  ];
  // what monitor.rows.room_overview sends for them at NOW
  const agg = {
    room: 1, total: 5, online: 2, locked: 0, disqualified: 0, extendable: 3,
    states: { expected: 0, checked_in: 0, waiting: 0, writing: 3, paused: 0, submitted: 0, absent: 2 },
    seats: { writing: 2, expected: 1, code_issued: 1, offline: 1 },
    alerts: { offline: 1, seb: 1, incidents: 1 },
    late_until: lateUntil, late: { expected: 1, code_issued: 1 },
    stale_at: [NOW - 100_000 + 300_500, NOW - 10_000 + 300_500],
  };
  const nonzero = (c) => ({ ...c, states: Object.fromEntries(Object.entries(c.states).filter(([, n]) => n)) });
  for (const at of [NOW, lateUntil - 1, lateUntil, NOW + 200_499, NOW + 200_500, NOW + 290_500, NOW + 3_600_000]) {
    assert.deepEqual(nonzero(overviewCounts(agg, at)), nonzero(roomCounts(rows, at)), String(at - NOW));
  }
  // the totals are the table's states (an absentee still allowed in is not arrived yet)
  const other = { ...agg, room: 2, total: 1, online: 0, locked: 1, late_until: null, late: { expected: 0, code_issued: 0 },
    states: { ...agg.states, writing: 0, absent: 0, submitted: 1 } };
  const before = overviewTotals([agg, other], NOW);
  assert.deepEqual([before.total, before.online, before.locked], [6, 2, 1]);
  assert.deepEqual([before.states.expected, before.states.absent, before.states.writing, before.states.submitted], [2, 0, 3, 1]);
  const after = overviewTotals([agg, other], lateUntil);
  assert.deepEqual([after.states.expected, after.states.absent], [0, 2]);
});

test("the menu offers only what is possible in the state", () => {
  assert.deepEqual(possibleActions(row({ state: "submitted" })), []);
  assert.deepEqual(possibleActions(row({ attempt: null })), []);
  const absent = possibleActions(row({ state: "absent" }));
  assert.ok(!absent.includes("attempt.message") && !absent.includes("attempt.force_submit") && absent.includes("attempt.move"));
  const writing = possibleActions(row({ state: "writing", online: true }));
  assert.ok(writing.includes("attempt.pause") && !writing.includes("attempt.resume") && writing.includes("attempt.lock"));
  const paused = possibleActions(row({ state: "paused", locked: true }));
  assert.ok(paused.includes("attempt.resume") && !paused.includes("attempt.pause") && paused.includes("attempt.unlock"));

  const dialog = document.createElement("dialog");
  document.body.append(dialog);
  const chosen = [];
  const kinds = openSeatMenu(dialog, row({ state: "writing", online: true, last_save: NOW }), {
    now: NOW, actionLabel: (k) => `label:${k}`, onAction: (k) => chosen.push(k),
  });
  assert.ok(dialog.hasAttribute("open"));
  const buttons = [...dialog.querySelectorAll(".seat-actions button")];
  assert.deepEqual(buttons.map((b) => b.dataset.kind), kinds);
  assert.equal(buttons[0].textContent, `label:${kinds[0]}`);
  fire(buttons.find((b) => b.dataset.kind === "attempt.pause"), "click");
  assert.deepEqual(chosen, ["attempt.pause"]);
  assert.ok(!dialog.hasAttribute("open"));
});

test("seat order is natural (M2 before M10); no seat comes last", () => {
  const sorted = bySeat([row({ seat: "M10" }), row({ seat: "", sbd: "1" }), row({ seat: "M2" })]);
  assert.deepEqual(sorted.map((r) => r.seat), ["M2", "M10", ""]);
});
