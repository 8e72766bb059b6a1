// The live dashboard: a snapshot on `watch`, then coalesced `rows` updates; actions go back
// over the same socket and are acknowledged once the server committed (and logged) them.
//
// A room's dashboard holds that room's rows. The sitting's holds per-room aggregates (the
// server's `overview`: the room tiles, the room table and the totals) and the rows of one room
// only, the one the examiner opened (`watch` with the sitting and that room); its pushes carry
// the aggregates of the rooms that changed, and that room's rows.

import { ServerClock, formatDuration } from "../candidate/clock.js";
import { $, jsonData } from "/static/common/dom.js";
import { setCatalogue, t, tn } from "/static/common/i18n.js";
import { connect } from "../js/lib/socket.js";
import {
  openSeatMenu, overviewCounts, overviewTotals, renderLegend, renderOverview, renderSeatMap, shownState,
} from "./seat_map.js";

const config = jsonData("monitor-config");
setCatalogue(config.messages, config.lang);
const STATES = ["expected", "checked_in", "waiting", "writing", "paused", "submitted", "absent"];
const STALE_SAVE_S = 300;

// kind -> the fields the dialog asks for (required ones marked with "!")
const ACTIONS = {
  "attempt.message": ["text!"], "attempt.pause": ["reason!"], "attempt.resume": [],
  "attempt.extra_time": ["seconds!", "reason!"], "attempt.lock": ["reason!"], "attempt.unlock": [],
  "attempt.move": ["seat!"], "attempt.incident": ["text!"], "attempt.force_submit": ["reason!"],
  "room.start": [], "room.pause": ["reason!"], "room.resume": [], "room.end": ["reason"], "room.message": ["text!"],
  "room.extra_time": ["seconds!", "reason!"],
  "sitting.start": [], "sitting.pause": ["reason!"], "sitting.resume": [], "sitting.end": ["reason"],
};

const ROOM_EXTRA = "room.extra_time"; // its own button, not in the room's picker (see roomExtraButton)

// The labels of what the server sends as codes (the rows carry states and SEB statuses, not texts).
function actionLabel(kind) {
  const labels = {
    "attempt.message": t("Send a message"), "attempt.pause": t("Pause"), "attempt.resume": t("Resume"),
    "attempt.extra_time": t("Add time"), "attempt.lock": t("Lock"), "attempt.unlock": t("Unlock"),
    "attempt.move": t("Move to another seat"), "attempt.incident": t("Log an incident"),
    "attempt.force_submit": t("Collect (force submit)"),
    "room.start": t("Start room"), "room.pause": t("Pause room"), "room.resume": t("Resume room"),
    "room.end": t("End room"), "room.message": t("Message the room"),
    "room.extra_time": t("Add time for the whole room"),
    "sitting.start": t("Start sitting"), "sitting.pause": t("Pause sitting"), "sitting.resume": t("Resume sitting"),
    "sitting.end": t("End sitting"),
  };
  return labels[kind] || kind;
}

function candidateState(state) {
  const labels = {
    expected: t("Expected"), checked_in: t("Checked in"), waiting: t("In, waiting for the start"),
    writing: t("Writing"), paused: t("Paused"), submitted: t("Submitted"), absent: t("Absent"),
  };
  return labels[state] || state;
}

/** A room's or the sitting's state. */
function roomState(state) {
  const labels = {
    scheduled: t("Scheduled"), checkin_open: t("Check-in open"), started: t("Started"), paused: t("Paused"),
    ended: t("Ended"),
  };
  return labels[state] || state;
}

function sebStatus(code) {
  const labels = {
    "seb.missing": t("Not in Safe Exam Browser"),
    "seb.config_key_mismatch": t("Wrong Safe Exam Browser configuration"),
    "seb.browser_exam_key_mismatch": t("Safe Exam Browser build not allowed"),
    "seb.wrong_page": t("Safe Exam Browser keys for another page"),
    "seb.no_keys_configured": t("No Safe Exam Browser keys configured"),
  };
  return labels[code] || code;
}

const clock = new ServerClock();
const model = { rows: new Map(), rooms: [], sitting: null, overview: null };
// "map": the sitting's room tiles (or the room's seats); "list": the table. Remembered per browser.
// `room`: the room whose rows are loaded (the room dashboard's own, or the one opened on the sitting's).
const VIEW_KEY = "monitor-view";
const view = { mode: localStorage.getItem(VIEW_KEY) === "map" ? "map" : "list", room: config.target.room || null };

const socket = connect("/monitor");
socket.on("connect", watch);
socket.on("disconnect", () => setConn(false));
socket.on("rows", (msg) => apply(msg, false));

function setConn(ok) {
  const node = $("#conn");
  node.textContent = ok ? t("Live") : offlineText();
  node.className = `badge ${ok ? "badge-success" : "badge-danger"}`;
}

let watchSeq = 0;

/** The sitting's overview, with the opened room's rows; or the room's dashboard. */
function watchTarget() {
  return config.target.sitting && view.room ? { sitting: config.target.sitting, room: view.room } : config.target;
}

function watch(onLoaded) {
  const sentAt = performance.now();
  const seq = ++watchSeq;
  socket.timeout(10000).emit("watch", watchTarget(), (err, snap) => {
    if (seq !== watchSeq) return; // another room was opened meanwhile: its snapshot counts
    if (err || !snap.ok) return showError(err ? offlineText() : snap.message);
    clock.sync(snap.server_time, sentAt);
    model.rows.clear();
    apply(snap, true);
    setConn(true);
    onLoaded?.();
  });
}

/** Open a room on the sitting's dashboard (null: back to all rooms): only its rows are read. */
function openRoom(roomId, onLoaded) {
  view.room = roomId;
  model.rows.clear();
  render();
  watch(onLoaded);
}

function offlineText() {
  return t("Connection to the server lost");
}

function apply(msg, snapshot) {
  if (msg.server_time && !snapshot) clock.sync(msg.server_time);
  for (const row of msg.rows || []) {
    // moved away, or a push of a room closed meanwhile: only the open room's rows are kept
    if (row.room !== view.room) model.rows.delete(row.registration);
    else model.rows.set(row.registration, row);
  }
  // the sitting's messages list every room; a room's push only its own
  if (msg.rooms) model.rooms = snapshot || "overview" in msg ? msg.rooms : mergeRooms(model.rooms, msg.rooms);
  if (msg.sitting) model.sitting = msg.sitting;
  // per room, from the server: all of them in a snapshot, the rooms that changed in a push
  if (snapshot) model.overview = msg.overview ? new Map(msg.overview.map((o) => [o.room, o])) : null;
  else if (msg.overview && model.overview) for (const o of msg.overview) model.overview.set(o.room, o);
  render();
}

function mergeRooms(rooms, changed) {
  const byId = new Map(changed.map((r) => [r.id, r]));
  const known = new Set(rooms.map((r) => r.id));
  return [...rooms.map((r) => byId.get(r.id) || r), ...changed.filter((r) => !known.has(r.id))];
}

// ------------------------------------------------------------------ rendering ------------
function cell(tr, text, cls) {
  const td = document.createElement("td");
  td.textContent = text;
  if (cls) td.className = cls;
  tr.append(td);
  return td;
}

function ago(ms) {
  const now = clock.now();
  return ms && now ? Math.max(0, Math.round((now - ms) / 1000)) : null;
}

function connText(row) {
  if (row.online) return t("Online");
  return row.since ? t("Offline for {s}", { s: formatDuration(ago(row.since)) }) : "—";
}

function timeLeft(row) {
  if (row.deadline) return formatDuration(Math.max(0, Math.round((row.deadline - clock.now()) / 1000)));
  return row.remaining !== null && row.remaining !== undefined ? `${formatDuration(row.remaining)} ⏸` : "—";
}

const chosen = new Map(); // target -> the action picked, kept across re-renders

function actionPicker(label, kinds, target) {
  const key = JSON.stringify(target);
  const wrap = document.createElement("div");
  wrap.className = "row-actions";
  const select = document.createElement("select");
  select.setAttribute("aria-label", label);
  for (const kind of kinds) {
    const o = document.createElement("option");
    o.value = kind;
    o.textContent = actionLabel(kind);
    select.append(o);
  }
  if (chosen.has(key)) select.value = chosen.get(key);
  select.addEventListener("change", () => chosen.set(key, select.value));
  const go = document.createElement("button");
  go.type = "button";
  go.className = "btn btn-small";
  go.textContent = t("Go");
  go.setAttribute("aria-label", `${t("Go")}: ${label}`);
  go.addEventListener("click", () => openAction(select.value, target, label));
  wrap.append(select, go);
  return wrap;
}

function render() {
  const rows = [...model.rows.values()].sort((a, b) => (a.room_name + a.sbd).localeCompare(b.room_name + b.sbd));
  renderTotals(rows);
  renderRooms(rows);
  renderMap(rows);
  // the sitting's list shows the open room's candidates: until one is opened, say how
  const overview = !!config.target.sitting;
  $("#cand-hint").hidden = !overview || !!view.room;
  $("#cand-back").hidden = !overview || !view.room;
  const body = $("#cand-table tbody");
  const focused = document.activeElement && document.activeElement.closest("#cand-table tr")?.dataset.reg;
  body.replaceChildren();
  for (const row of rows) {
    const tr = document.createElement("tr");
    tr.dataset.reg = row.registration;
    tr.classList.toggle("offline", !row.online && ["waiting", "writing", "paused"].includes(row.state));
    tr.classList.toggle("locked", row.locked);
    tr.classList.toggle("seb-bad", !!row.seb && row.seb !== "ok");
    const since = ago(row.last_save);
    tr.classList.toggle("stale", row.state === "writing" && (since === null || since > STALE_SAVE_S));
    const th = document.createElement("th");
    th.scope = "row";
    th.textContent = row.sbd;
    tr.append(th);
    cell(tr, row.name);
    cell(tr, row.room_name);
    cell(tr, row.seat);
    cell(tr, candidateState(shownState(row, clock.now())) + (row.locked ? ` · ${t("Locked")}` : ""));
    cell(tr, connText(row), "conn");
    cell(tr, since === null ? "—" : t("{s} s ago", { s: since }), "last-save");
    cell(tr, `${row.answered}/${row.questions}`);
    cell(tr, timeLeft(row));
    cell(tr, row.seb ? (row.seb === "ok" ? "✓" : sebStatus(row.seb)) : "—");
    cell(tr, String(row.incidents));
    const td = document.createElement("td");
    if (row.attempt) {
      td.append(actionPicker(t("Actions for candidate {sbd} {name}", { sbd: row.sbd, name: row.name }),
        Object.keys(ACTIONS).filter((k) => k.startsWith("attempt.")), { attempt: row.attempt }));
    }
    tr.append(td);
    body.append(tr);
  }
  if (focused) body.querySelector(`tr[data-reg="${focused}"] select`)?.focus();
}

function renderTotals(rows) {
  const dl = $("#totals");
  dl.replaceChildren();
  const now = clock.now();
  let items;
  if (config.target.sitting && model.overview) { // the sitting: the rooms' aggregates summed
    const sum = overviewTotals(model.overview.values(), now);
    items = [[t("Total"), sum.total], ...STATES.map((s) => [candidateState(s), sum.states[s] || 0]),
      [t("Online"), sum.online], [t("Locked"), sum.locked]];
  } else {
    const count = (pred) => rows.filter(pred).length;
    items = [[t("Total"), rows.length], ...STATES.map((s) => [candidateState(s), count((r) => shownState(r, now) === s)]),
      [t("Online"), count((r) => r.online)], [t("Locked"), count((r) => r.locked)]];
  }
  for (const [label, value] of items) {
    const div = document.createElement("div");
    const dt = document.createElement("dt");
    dt.textContent = label;
    const dd = document.createElement("dd");
    dd.textContent = value;
    div.append(dt, dd);
    dl.append(div);
  }
}

function renderRooms(rows) {
  const body = $("#rooms-table tbody");
  const active = document.activeElement;
  const focused = active && active.closest("#rooms-table tr")?.dataset.room;
  const which = active?.classList.contains("room-open") ? ".room-open" : "select";
  body.replaceChildren();
  const rooms = config.target.room ? model.rooms.filter((r) => r.id === config.target.room) : model.rooms;
  for (const room of rooms) {
    const mine = rows.filter((r) => r.room === room.id);
    const agg = !config.target.room && model.overview ? model.overview.get(room.id) : null;
    const tr = document.createElement("tr");
    tr.dataset.room = room.id;
    const th = document.createElement("th");
    th.scope = "row";
    if (config.target.sitting) th.append(roomOpenButton(room));
    else th.textContent = room.name;
    tr.append(th);
    cell(tr, roomState(room.state));
    if (agg) { // the sitting view: the server's per-room aggregate
      cell(tr, `${agg.total - agg.states.expected - agg.states.absent}/${agg.total}`);
      cell(tr, String(agg.states.writing));
      cell(tr, String(agg.states.submitted));
      cell(tr, String(agg.online));
    } else {
      cell(tr, `${mine.filter((r) => r.state !== "expected" && r.state !== "absent").length}/${mine.length}`);
      cell(tr, String(mine.filter((r) => r.state === "writing").length));
      cell(tr, String(mine.filter((r) => r.state === "submitted").length));
      cell(tr, String(mine.filter((r) => r.online).length));
    }
    const td = document.createElement("td");
    td.append(actionPicker(t("Actions for room {room}", { room: room.name }),
      Object.keys(ACTIONS).filter((k) => k.startsWith("room.") && k !== ROOM_EXTRA), { room: room.id }),
    roomExtraButton(room));
    tr.append(td);
    body.append(tr);
  }
  if (config.can_run_sitting && config.target.sitting && model.sitting) {
    const tr = document.createElement("tr");
    const th = document.createElement("th");
    th.scope = "row";
    th.textContent = t("Whole sitting");
    tr.append(th);
    cell(tr, roomState(model.sitting.state));
    for (let i = 0; i < 4; i++) cell(tr, "");
    const td = document.createElement("td");
    td.append(actionPicker(t("Actions for the whole sitting"), Object.keys(ACTIONS).filter((k) => k.startsWith("sitting.")),
      { sitting: model.sitting.id }));
    tr.append(td);
    body.append(tr);
  }
  if (focused) body.querySelector(`tr[data-room="${focused}"] ${which}`)?.focus();
}

// On the sitting's dashboard a room's name opens it (its seat map, its rows in the list); pressed
// again, back to all rooms.
function roomOpenButton(room) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "btn btn-small btn-secondary room-open";
  button.dataset.room = room.id;
  button.textContent = room.name;
  button.setAttribute("aria-pressed", String(view.room === room.id));
  button.addEventListener("click", () => openRoom(view.room === room.id ? null : room.id));
  return button;
}

// Room-wide extra time has its own button (it is the one room action an incident calls for
// most); the dialog says how many candidates it reaches, by the server's rule
// (`attempts.room_extra_time`): writing or paused, not locked.
function roomExtraButton(room) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "btn btn-small btn-secondary room-extra";
  button.dataset.room = room.id;
  button.textContent = t("Add time for the whole room");
  button.setAttribute("aria-label", `${t("Add time for the whole room")}: ${room.name}`);
  button.addEventListener("click", () => openAction(ROOM_EXTRA, { room: room.id }, room.name));
  return button;
}

function extendable(roomId) {
  if (roomId !== view.room) return model.overview?.get(roomId)?.extendable ?? 0; // the server's count, same rule
  return [...model.rows.values()].filter((r) => r.room === roomId && r.attempt && !r.locked
    && (r.state === "writing" || r.state === "paused")).length;
}

// ------------------------------------------------------------------ seat map -------------

function setMode(mode) {
  view.mode = mode;
  localStorage.setItem(VIEW_KEY, mode);
  render();
}

$("#view-map").addEventListener("click", () => setMode("map"));
$("#view-list").addEventListener("click", () => setMode("list"));
$("#map-back").addEventListener("click", () => {
  openRoom(null);
  $("#map-box button")?.focus();
});
$("#cand-back").addEventListener("click", () => openRoom(null));
renderLegend($("#map-legend"));

function renderMap(rows) {
  const map = view.mode === "map";
  $("#view-map").setAttribute("aria-pressed", String(map));
  $("#view-list").setAttribute("aria-pressed", String(!map));
  $("#map-section").hidden = !map;
  $("#cand-section").hidden = map;
  if (!map) return;
  const now = clock.now();
  const room = view.room ? model.rooms.find((r) => r.id === view.room) : null;
  $("#map-back").hidden = !!config.target.room || !room;
  const heading = $("#map-h");
  if (room) {
    heading.textContent = t("Seat map of room {room}", { room: room.name });
    renderSeatMap($("#map-box"), rows.filter((r) => r.room === room.id),
      { now, seats: room.seats, onPick: (row) => openSeatActions(row) });
  } else {
    heading.textContent = t("Rooms of the sitting");
    const counts = new Map([...(model.overview || new Map()).values()].map((agg) => [agg.room, overviewCounts(agg, now)]));
    renderOverview($("#map-box"), model.rooms, counts, {
      now, roomLabel: roomState, onOpen: (r) => openRoom(r.id, () => $("#map-box button")?.focus()),
    });
  }
}

function openSeatActions(row) {
  const label = t("Actions for candidate {sbd} {name}", { sbd: row.sbd, name: row.name });
  openSeatMenu($("#seat-menu"), row, {
    now: clock.now(), actionLabel,
    onAction: (kind) => {
      document.querySelector(`#map-box button[data-reg="${row.registration}"]`)?.focus();
      openAction(kind, { attempt: row.attempt }, label);
    },
  });
}

// ------------------------------------------------------------------ actions --------------
let pending = null;

function openAction(kind, target, label) {
  pending = { kind, target, opener: document.activeElement };
  const fields = ACTIONS[kind];
  $("#act-title").textContent = `${actionLabel(kind)} — ${label}`;
  for (const node of document.querySelectorAll("#act-form .field")) {
    const spec = fields.find((f) => f.replace("!", "") === node.dataset.for);
    node.hidden = !spec;
    const input = node.querySelector("input, textarea");
    input.required = !!spec && spec.endsWith("!");
    if (input.type !== "number") input.value = "";
  }
  const note = $("#act-note");
  const reach = kind === ROOM_EXTRA ? extendable(target.room) : null;
  note.hidden = reach === null;
  note.textContent = reach === null ? "" : reach
    ? tn("{n} candidate still writing or paused will get this time.",
      "{n} candidates still writing or paused will get this time.", reach, { n: reach })
    : t("Nobody in this room is writing or paused.");
  $("#act-ok").disabled = reach === 0;
  const seats = $("#seat-list");
  seats.replaceChildren(...model.rooms.flatMap((r) => r.seats.map((s) => Object.assign(document.createElement("option"), { value: s }))));
  $("#act-dialog").showModal();
}

$("#act-form").addEventListener("submit", (e) => {
  if (e.submitter && e.submitter.value === "cancel") return;
  const form = e.target;
  if (!form.checkValidity()) {
    e.preventDefault();
    form.reportValidity();
  }
});

$("#act-dialog").addEventListener("close", () => {
  const dialog = $("#act-dialog");
  const p = pending;
  pending = null;
  p?.opener?.focus();
  if (!p || dialog.returnValue !== "ok") return;
  const body = { kind: p.kind, ...p.target };
  const fields = ACTIONS[p.kind].map((f) => f.replace("!", ""));
  if (fields.includes("reason")) body.reason = $("#act-reason").value;
  if (fields.includes("text")) body.text = $("#act-text").value;
  if (fields.includes("seat")) body.seat = $("#act-seat").value;
  if (fields.includes("seconds")) body.seconds = Math.round(Number($("#act-minutes").value) * 60);
  socket.timeout(10000).emit("action", body, (err, resp) => {
    if (err) return showError(offlineText());
    if (!resp.ok) return showError(resp.message);
    $("#action-error").hidden = true;
    let done = t("Done.");
    if (resp.code && p.kind === "attempt.move") {
      done = t("New login code for seat {seat}: {code}", { seat: resp.seat, code: resp.code });
    } else if (p.kind === ROOM_EXTRA) {
      done = tn("Extra time given to {n} candidate.", "Extra time given to {n} candidates.", resp.extended,
        { n: resp.extended });
    }
    $("#action-status").textContent = done;
    if (p.kind === "attempt.move" || p.kind === ROOM_EXTRA) showError(done, "alert-success");
  });
});

function showError(text, cls = "alert-error") {
  const box = $("#action-error");
  box.className = `alert ${cls}`;
  box.textContent = text;
  box.hidden = false;
}

// Every second only the time-dependent cells change; rebuilding the table would disturb
// keyboard and screen-reader users in the middle of it.
function tick() {
  for (const tr of document.querySelectorAll("#cand-table tbody tr")) {
    const row = model.rows.get(Number(tr.dataset.reg));
    if (!row) continue;
    const cells = tr.children;
    const since = ago(row.last_save);
    cells[4].textContent = candidateState(shownState(row, clock.now())) + (row.locked ? ` · ${t("Locked")}` : "");
    cells[5].textContent = connText(row);
    cells[6].textContent = since === null ? "—" : t("{s} s ago", { s: since });
    cells[8].textContent = timeLeft(row);
    tr.classList.toggle("stale", row.state === "writing" && (since === null || since > STALE_SAVE_S));
  }
  renderTotals([...model.rows.values()]); // a late-entry window that closed turns "not arrived" into "absent"
  if (view.mode === "map") renderMap([...model.rows.values()]); // "saved N s ago", offline and stale tiles
}

setInterval(tick, 1000);
