// The seat map of a room and the sitting's overview of room tiles, for the live dashboard.
//
// A room's seats are drawn from its rows (dashboard.js keeps them current from the socket)
// through one function, `seatState`. The sitting's room tiles are drawn from the server's
// per-room aggregates (`monitor.rows.room_overview`: 400 tiles, not 10,000 rows), which count
// by the same rule (`seat_state` there is `seatState` here, tested against each other's
// rows), so a tile never disagrees with the map it drills into; `overviewCounts` keeps them
// current between pushes as time alone changes them. Pure rendering: no socket here, actions go
// back through the `onAction` callback (the table's dialog).

import { t } from "/static/common/i18n.js";

/** Seconds without a save after which a writing candidate's tile warns (as the table does). */
export const STALE_SAVE_S = 300;

// Tile states, in the order the legend and the room tiles list them.
export const SEAT_STATES = ["expected", "code_issued", "checked_in", "waiting", "writing", "stale", "offline", "paused", "locked",
  "submitted", "disqualified", "absent"];

// The icon says the state without colour (and the text beside it says it in words).
const ICONS = {
  expected: "○", code_issued: "🔑", checked_in: "✔", waiting: "⏳", writing: "✎", stale: "⚠", offline: "⚡", paused: "⏸", locked: "🔒",
  submitted: "✓", disqualified: "⛔", absent: "✕",
};

export function seatStateLabel(state) {
  const labels = {
    expected: t("Not arrived"), code_issued: t("Code issued, not in yet"), checked_in: t("Checked in"), waiting: t("In, waiting for the start"),
    writing: t("Writing"), stale: t("No save for a while"), offline: t("Offline"), paused: t("Paused"),
    locked: t("Locked"), submitted: t("Submitted"), disqualified: t("Disqualified"), absent: t("Absent"),
  };
  return labels[state] || state;
}

const OPEN = ["waiting", "writing", "paused"]; // the attempt is open: a lost connection matters

/**
 * The one state a seat tile shows. What needs the invigilator first wins: a locked or offline
 * candidate is shown as such even while writing. `now` is the server's time in ms.
 */
export function seatState(row, now) {
  if (row.state === "submitted") return row.disqualified ? "disqualified" : "submitted";
  // still allowed in (late entry) until `late_until`: not yet arrived rather than absent
  if (["absent", "expected", "checked_in"].includes(row.state)) {
    const shown = shownState(row, now);
    // a login code handed out is not arrival: not arrived yet, but the slip is in their hands
    return shown === "expected" && row.code_issued ? "code_issued" : shown;
  }
  if (row.locked) return "locked";
  if (OPEN.includes(row.state) && !row.online) return "offline";
  if (row.state === "paused") return "paused";
  if (row.state === "writing") {
    const since = savedAgo(row, now);
    return since === null || since > STALE_SAVE_S ? "stale" : "writing";
  }
  return row.state; // waiting
}

/**
 * The candidate state the table and the totals show: the server's, except that an "absent"
 * candidate whose room still admits late arrivals is not arrived yet (as on their tile).
 */
export function shownState(row, now) {
  return row.state === "absent" && row.late_until && now && now < row.late_until ? "expected" : row.state;
}

/** Seconds since the candidate's last save, or null without one. */
export function savedAgo(row, now) {
  return row.last_save && now ? Math.max(0, Math.round((now - row.last_save) / 1000)) : null;
}

function seatDetail(row, state, now) {
  if (state === "writing" || state === "stale") {
    const since = savedAgo(row, now);
    return since === null ? t("Nothing saved yet") : t("Saved {s} s ago", { s: since });
  }
  if (["offline", "locked", "paused"].includes(state) && row.questions) {
    return `${row.answered}/${row.questions}`;
  }
  return "";
}

/**
 * The attempt actions possible in a row's state (the table's menu, narrowed to what the server
 * accepts now): nothing once handed in; a message, a pause or a collection only for a candidate
 * who is in; time, a lock, a new seat and an incident note for anyone with an open attempt.
 */
export function possibleActions(row) {
  if (!row.attempt || row.state === "submitted") return [];
  const inside = OPEN.includes(row.state);
  const kinds = [];
  if (inside) kinds.push("attempt.message");
  if (row.state === "writing") kinds.push("attempt.pause");
  if (row.state === "paused") kinds.push("attempt.resume");
  kinds.push("attempt.extra_time", row.locked ? "attempt.unlock" : "attempt.lock", "attempt.move", "attempt.incident");
  if (row.state === "writing" || row.state === "paused") kinds.push("attempt.force_submit");
  return kinds;
}

const collator = new Intl.Collator("vi", { numeric: true, sensitivity: "base" });

/** Rows in seat order (M2 before M10); candidates without a seat come last, by SBD. */
export function bySeat(rows) {
  return [...rows].sort((a, b) => {
    if (!a.seat !== !b.seat) return a.seat ? -1 : 1;
    return collator.compare(a.seat || "", b.seat || "") || collator.compare(a.sbd, b.sbd);
  });
}

/** Per room: how many seats show each state, and what needs attention. */
export function roomCounts(rows, now) {
  const states = Object.fromEntries(SEAT_STATES.map((s) => [s, 0]));
  const alerts = { offline: 0, seb: 0, incidents: 0 };
  for (const row of rows) {
    const state = seatState(row, now);
    states[state] += 1;
    if (state === "offline") alerts.offline += 1;
    if (row.seb && row.seb !== "ok") alerts.seb += 1;
    alerts.incidents += row.incidents || 0;
  }
  return { total: rows.length, states, alerts };
}

/**
 * A room tile's counts (as `roomCounts` gives from rows) from the server's aggregate of the room
 * at `now`: the server counted at its time; since then an absentee's late entry may have closed
 * (`late`, until `late_until`) and writing seats may have turned stale (`stale_at`).
 */
export function overviewCounts(agg, now) {
  const states = Object.fromEntries(SEAT_STATES.map((s) => [s, agg.seats[s] || 0]));
  if (agg.late_until && now >= agg.late_until) {
    for (const [state, n] of Object.entries(agg.late)) {
      states[state] -= n;
      states.absent += n;
    }
  }
  const stale = agg.stale_at.filter((at) => now >= at).length;
  states.writing -= stale;
  states.stale += stale;
  return { total: agg.total, states, alerts: { ...agg.alerts, offline: states.offline } };
}

/**
 * The sitting's totals from the rooms' aggregates: candidates, by the state the table shows
 * (`shownState`: an absentee still allowed in is not arrived yet), online and locked.
 */
export function overviewTotals(aggs, now) {
  const totals = { total: 0, online: 0, locked: 0, states: {} };
  for (const agg of aggs) {
    totals.total += agg.total;
    totals.online += agg.online;
    totals.locked += agg.locked;
    for (const [state, n] of Object.entries(agg.states)) totals.states[state] = (totals.states[state] || 0) + n;
    if (agg.late_until && now && now < agg.late_until) {
      const late = agg.late.expected + agg.late.code_issued;
      totals.states.expected = (totals.states.expected || 0) + late;
      totals.states.absent -= late;
    }
  }
  return totals;
}

function node(tag, cls, text) {
  const el = document.createElement(tag);
  if (cls) el.className = cls;
  if (text !== undefined) el.textContent = text;
  return el;
}

/**
 * Draw a room's seats into `box`: one focusable button per candidate, coloured, with an icon
 * and the state in words; name and SBD in its title, its accessible name and a tooltip shown on
 * hover and focus. `onPick(row, button)` runs on click. Seats of the room nobody sits at are
 * drawn as empty places, so the map keeps the room's layout.
 */
export function renderSeatMap(box, rows, { now, seats = [], onPick } = {}) {
  const focused = box.contains(document.activeElement) ? document.activeElement.dataset.reg : null;
  const grid = node("ul", "seat-grid");
  grid.setAttribute("aria-label", t("Seats"));
  const taken = new Set(rows.map((r) => r.seat).filter(Boolean));
  const empty = seats.filter((s) => !taken.has(s)).map((seat) => ({ seat, empty: true, sbd: "" }));
  for (const row of bySeat([...rows, ...empty])) {
    const li = node("li");
    if (row.empty) {
      const place = node("div", "seat seat-empty");
      place.append(node("span", "seat-label", row.seat), node("span", "seat-state", t("Empty seat")));
      li.append(place);
      grid.append(li);
      continue;
    }
    const state = seatState(row, now);
    const label = seatStateLabel(state);
    const button = node("button", `seat seat-${state}`);
    button.type = "button";
    button.dataset.reg = row.registration;
    button.dataset.state = state;
    const who = `${row.name} · ${t("Cand. no. {sbd}", { sbd: row.sbd })}`;
    const detail = seatDetail(row, state, now);
    const extra = [row.seb && row.seb !== "ok" ? t("SEB problem") : "",
      row.incidents ? t("{n} incidents", { n: row.incidents }) : ""].filter(Boolean);
    const spoken = [row.seat ? t("Seat {seat}", { seat: row.seat }) : t("No seat"), who, label, detail, ...extra]
      .filter(Boolean).join(", ");
    button.title = spoken;
    button.setAttribute("aria-label", spoken);
    button.setAttribute("aria-haspopup", "dialog");
    const head = node("span", "seat-head");
    head.append(node("span", "seat-label", row.seat || "—"), node("span", "seat-icon", ICONS[state]));
    head.lastChild.setAttribute("aria-hidden", "true");
    button.append(head, node("span", "seat-sbd", row.sbd), node("span", "seat-state", label));
    if (detail) button.append(node("span", "seat-detail", detail));
    if (extra.length) button.append(node("span", "seat-alert", `⚠ ${extra.join(" · ")}`));
    const tip = node("span", "seat-tip", who);
    tip.setAttribute("aria-hidden", "true"); // the accessible name already says it
    button.append(tip);
    if (onPick) button.addEventListener("click", () => onPick(row, button));
    li.append(button);
    grid.append(li);
  }
  box.replaceChildren(grid);
  if (focused) grid.querySelector(`button[data-reg="${focused}"]`)?.focus();
}

/** The legend: every state's colour, icon and name. */
export function renderLegend(box) {
  const list = node("ul", "seat-legend");
  for (const state of SEAT_STATES) {
    const li = node("li", `seat-${state}`);
    const icon = node("span", "seat-icon", ICONS[state]);
    icon.setAttribute("aria-hidden", "true");
    li.append(icon, node("span", "", seatStateLabel(state)));
    list.append(li);
  }
  box.replaceChildren(list);
}

/**
 * Draw the sitting's rooms as tiles into `box`: per room its state, the number of seats in each
 * state (only the states present) and its alerts; `onOpen(room)` drills into the room.
 * `countsByRoom` maps a room id to its counts (`overviewCounts` of its aggregate, or `roomCounts` of
 * its rows); a room without any is empty. `roomLabel(state)` names a room's state.
 */
export function renderOverview(box, rooms, countsByRoom, { now, onOpen, roomLabel = (s) => s } = {}) {
  const focused = box.contains(document.activeElement) ? document.activeElement.dataset.room : null;
  const grid = node("ul", "room-grid");
  grid.setAttribute("aria-label", t("Rooms"));
  for (const room of rooms) {
    const counts = countsByRoom.get(room.id) || roomCounts([], now);
    const alerts = [];
    if (counts.alerts.offline) alerts.push(t("{n} offline", { n: counts.alerts.offline }));
    if (counts.alerts.seb) alerts.push(t("{n} SEB problems", { n: counts.alerts.seb }));
    if (counts.alerts.incidents) alerts.push(t("{n} incidents", { n: counts.alerts.incidents }));
    const button = node("button", `room-tile${alerts.length ? " room-alert" : ""}`);
    button.type = "button";
    button.dataset.room = room.id;
    const head = node("span", "room-head");
    head.append(node("span", "room-name", room.name), node("span", "room-state", roomLabel(room.state)));
    const dl = node("dl", "room-counts");
    const parts = [];
    for (const state of SEAT_STATES) {
      const n = counts.states[state];
      if (!n) continue;
      const div = node("div", `seat-${state}`);
      div.dataset.state = state;
      div.append(node("dt", "", seatStateLabel(state)), node("dd", "", String(n)));
      dl.append(div);
      parts.push(`${seatStateLabel(state)}: ${n}`);
    }
    button.append(head, node("span", "room-total", t("{n} candidates", { n: counts.total })), dl);
    if (alerts.length) button.append(node("span", "room-alerts", `⚠ ${alerts.join(" · ")}`));
    button.setAttribute("aria-label", [t("Room {room}", { room: room.name }), roomLabel(room.state),
      t("{n} candidates", { n: counts.total }), ...parts, ...alerts].join(", "));
    if (onOpen) button.addEventListener("click", () => onOpen(room));
    const li = node("li");
    li.append(button);
    grid.append(li);
  }
  box.replaceChildren(grid);
  if (focused) grid.querySelector(`button[data-room="${focused}"]`)?.focus();
}

/**
 * The actions menu of one seat, in `dialog`: who it is, their state, and one button per action
 * possible now; choosing one closes the menu and calls `onAction(kind)` (the table's dialog).
 */
export function openSeatMenu(dialog, row, { now, actionLabel, onAction }) {
  const state = seatState(row, now);
  const title = node("h2", "", `${row.name} · ${t("Cand. no. {sbd}", { sbd: row.sbd })}`);
  title.id = "seat-menu-title";
  dialog.setAttribute("aria-labelledby", title.id);
  const info = node("p", "muted", [row.seat ? t("Seat {seat}", { seat: row.seat }) : t("No seat"),
    seatStateLabel(state), seatDetail(row, state, now)].filter(Boolean).join(" · "));
  const list = node("div", "seat-actions");
  const kinds = possibleActions(row);
  for (const kind of kinds) {
    const b = node("button", "btn btn-small", actionLabel(kind));
    b.type = "button";
    b.dataset.kind = kind;
    b.addEventListener("click", () => {
      closeDialog(dialog);
      onAction(kind);
    });
    list.append(b);
  }
  if (!kinds.length) list.append(node("p", "", t("No action is possible in this state.")));
  const close = node("button", "btn btn-secondary", t("Close"));
  close.type = "button";
  close.addEventListener("click", () => closeDialog(dialog));
  const foot = node("div", "actions-row");
  foot.append(close);
  dialog.replaceChildren(title, info, list, foot);
  if (typeof dialog.showModal === "function") dialog.showModal();
  else dialog.setAttribute("open", "");
  return kinds;
}

function closeDialog(dialog) {
  if (typeof dialog.close === "function") dialog.close();
  else dialog.removeAttribute("open");
}
