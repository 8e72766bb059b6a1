// The seat map and the room tiles of the live dashboard (monitor/seat_map.js): one tile per
// seat in seat order, its state in a class, a sign and words; never "writing" for a candidate the
// server did not see log in; the room tile's counts are the seat tiles' states counted.
import { test, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { fire, load, resetBody } from "./support.mjs";

const {
  seatState, renderSeatMap, renderOverview, roomCounts, possibleActions, openSeatMenu, bySeat, STALE_SAVE_S,
} = await load("monitor/seat_map.js");
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
  const cases = [
    [{ state: "expected" }, "expected"],
    [{ state: "checked_in" }, "checked_in"],
    [{ state: "waiting", online: true }, "waiting"],
    [{ state: "writing", online: true, last_save: NOW - 20_000 }, "writing"],
    [{ state: "writing", online: true, last_save: NOW - (STALE_SAVE_S + 1) * 1000 }, "stale"],
    [{ state: "writing", online: true, last_save: null }, "stale"],
    [{ state: "writing", online: false, last_save: NOW - 1000 }, "offline"],
    [{ state: "writing", online: true, locked: true }, "locked"],
    [{ state: "paused", online: true }, "paused"],
    [{ state: "submitted" }, "submitted"],
    [{ state: "submitted", disqualified: true }, "disqualified"],
    [{ state: "absent" }, "absent"],
    [{ state: "absent", late_until: NOW + 60_000 }, "expected"], // late entry still open
    [{ state: "absent", late_until: NOW - 1 }, "absent"],
    // not logged in: the server says checked_in/absent, never writing, whatever else the row says
    [{ state: "checked_in", online: false, locked: true }, "checked_in"],
    // a login code handed out is not arrival: still not arrived, the tile says the code is out
    [{ state: "expected", code_issued: true }, "code_issued"],
    [{ state: "absent", code_issued: true, late_until: NOW + 60_000 }, "code_issued"],
    [{ state: "absent", code_issued: true, late_until: NOW - 1 }, "absent"],
    [{ state: "checked_in", code_issued: true }, "checked_in"],
  ];
  for (const [over, expected] of cases) assert.equal(seatState(row(over), NOW), expected, JSON.stringify(over));
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
  renderOverview(box, [{ id: 1, name: "P01", state: "started" }, { id: 2, name: "P02", state: "ended" }], rows,
    { now: NOW, roomLabel: (s) => `state:${s}`, onOpen: (r) => opened.push(r.name) });
  const tiles = box.querySelectorAll("button.room-tile");
  assert.equal(tiles.length, 2);
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
