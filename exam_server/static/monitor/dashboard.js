// The live dashboard: a snapshot on `watch`, then coalesced `rows` updates; actions go back
// over the same socket and are acknowledged once the server committed (and logged) them.

import { ServerClock, formatDuration } from "../candidate/clock.js";

const config = JSON.parse(document.getElementById("monitor-config").textContent);
const t = (key, params = {}) => (config.messages[key] || key).replace(/\{(\w+)\}/g, (_, k) => params[k] ?? "");
const $ = (sel) => document.querySelector(sel);
const STATES = ["expected", "checked_in", "waiting", "writing", "paused", "submitted", "absent"];
const STALE_SAVE_S = 300;

// kind -> the fields the dialog asks for (required ones marked with "!")
const ACTIONS = {
  "attempt.message": ["text!"], "attempt.pause": ["reason!"], "attempt.resume": [],
  "attempt.extra_time": ["seconds!", "reason!"], "attempt.lock": ["reason!"], "attempt.unlock": [],
  "attempt.move": ["seat!"], "attempt.incident": ["text!"], "attempt.force_submit": ["reason!"],
  "room.start": [], "room.pause": ["reason!"], "room.resume": [], "room.end": ["reason"], "room.message": ["text!"],
  "sitting.start": [], "sitting.pause": ["reason!"], "sitting.resume": [], "sitting.end": ["reason"],
};

const clock = new ServerClock();
const model = { rows: new Map(), rooms: [], sitting: null, overview: null };

const socket = window.io("/monitor", { transports: ["websocket"], reconnectionDelayMax: 4000 });
socket.on("connect", watch);
socket.on("disconnect", () => setConn(false));
socket.on("rows", (msg) => apply(msg, false));

function setConn(ok) {
  const node = $("#conn");
  node.textContent = ok ? t("monitor.live") : t("monitor.offline");
  node.className = `badge ${ok ? "badge-success" : "badge-danger"}`;
}

function watch() {
  const sentAt = performance.now();
  socket.timeout(10000).emit("watch", config.target, (err, snap) => {
    if (err || !snap.ok) return showError(err ? t("monitor.offline") : snap.message);
    clock.sync(snap.server_time, sentAt);
    model.rows.clear();
    apply(snap, true);
    setConn(true);
  });
}

function apply(msg, snapshot) {
  if (msg.server_time && !snapshot) clock.sync(msg.server_time);
  for (const row of msg.rows || []) {
    if (config.target.room && row.room !== config.target.room) model.rows.delete(row.registration); // moved away
    else model.rows.set(row.registration, row);
  }
  if (msg.rooms) model.rooms = msg.rooms;
  if (msg.sitting) model.sitting = msg.sitting;
  if (msg.overview) model.overview = new Map(msg.overview.map((o) => [o.room, o])); // per room, from the server
  render();
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
  if (row.online) return t("monitor.online");
  return row.since ? t("monitor.offline_since", { s: formatDuration(ago(row.since)) }) : "—";
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
    o.textContent = t(`monitor.action.${kind}`);
    select.append(o);
  }
  if (chosen.has(key)) select.value = chosen.get(key);
  select.addEventListener("change", () => chosen.set(key, select.value));
  const go = document.createElement("button");
  go.type = "button";
  go.className = "btn btn-small";
  go.textContent = t("monitor.do");
  go.setAttribute("aria-label", `${t("monitor.do")}: ${label}`);
  go.addEventListener("click", () => openAction(select.value, target, label));
  wrap.append(select, go);
  return wrap;
}

function render() {
  const rows = [...model.rows.values()].sort((a, b) => (a.room_name + a.sbd).localeCompare(b.room_name + b.sbd));
  renderTotals(rows);
  renderRooms(rows);
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
    cell(tr, t(`monitor.state.${row.state}`) + (row.locked ? ` · ${t("monitor.locked")}` : ""));
    cell(tr, connText(row), "conn");
    cell(tr, since === null ? "—" : t("monitor.seconds_ago", { s: since }), "last-save");
    cell(tr, `${row.answered}/${row.questions}`);
    cell(tr, timeLeft(row));
    cell(tr, row.seb ? (row.seb === "ok" ? "✓" : t(row.seb)) : "—");
    cell(tr, String(row.incidents));
    const td = document.createElement("td");
    if (row.attempt) {
      td.append(actionPicker(t("monitor.actions_for", { sbd: row.sbd, name: row.name }),
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
  const count = (pred) => rows.filter(pred).length;
  const items = [[t("monitor.total"), rows.length]];
  for (const s of STATES) items.push([t(`monitor.state.${s}`), count((r) => r.state === s)]);
  items.push([t("monitor.online"), count((r) => r.online)]);
  items.push([t("monitor.locked"), count((r) => r.locked)]);
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
  const focused = document.activeElement && document.activeElement.closest("#rooms-table tr")?.dataset.room;
  body.replaceChildren();
  const rooms = config.target.room ? model.rooms.filter((r) => r.id === config.target.room) : model.rooms;
  for (const room of rooms) {
    const mine = rows.filter((r) => r.room === room.id);
    const agg = !config.target.room && model.overview ? model.overview.get(room.id) : null;
    const tr = document.createElement("tr");
    tr.dataset.room = room.id;
    const th = document.createElement("th");
    th.scope = "row";
    th.textContent = room.name;
    tr.append(th);
    cell(tr, t(`pages.state.${room.state}`));
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
    td.append(actionPicker(t("monitor.actions_for_room", { room: room.name }),
      Object.keys(ACTIONS).filter((k) => k.startsWith("room.")), { room: room.id }));
    tr.append(td);
    body.append(tr);
  }
  if (config.can_run_sitting && config.target.sitting && model.sitting) {
    const tr = document.createElement("tr");
    const th = document.createElement("th");
    th.scope = "row";
    th.textContent = t("monitor.whole_sitting");
    tr.append(th);
    cell(tr, t(`pages.state.${model.sitting.state}`));
    for (let i = 0; i < 4; i++) cell(tr, "");
    const td = document.createElement("td");
    td.append(actionPicker(t("monitor.actions_for_sitting"), Object.keys(ACTIONS).filter((k) => k.startsWith("sitting.")),
      { sitting: model.sitting.id }));
    tr.append(td);
    body.append(tr);
  }
  if (focused) body.querySelector(`tr[data-room="${focused}"] select`)?.focus();
}

// ------------------------------------------------------------------ actions --------------
let pending = null;

function openAction(kind, target, label) {
  pending = { kind, target, opener: document.activeElement };
  const fields = ACTIONS[kind];
  $("#act-title").textContent = `${t(`monitor.action.${kind}`)} — ${label}`;
  for (const node of document.querySelectorAll("#act-form .field")) {
    const spec = fields.find((f) => f.replace("!", "") === node.dataset.for);
    node.hidden = !spec;
    const input = node.querySelector("input, textarea");
    input.required = !!spec && spec.endsWith("!");
    if (input.type !== "number") input.value = "";
  }
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
    if (err) return showError(t("monitor.offline"));
    if (!resp.ok) return showError(resp.message);
    $("#action-error").hidden = true;
    const done = resp.code && p.kind === "attempt.move"
      ? t("monitor.move_code", { seat: resp.seat, code: resp.code }) : t("monitor.done");
    $("#action-status").textContent = done;
    if (p.kind === "attempt.move") showError(done, "alert-success");
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
    cells[5].textContent = connText(row);
    cells[6].textContent = since === null ? "—" : t("monitor.seconds_ago", { s: since });
    cells[8].textContent = timeLeft(row);
    tr.classList.toggle("stale", row.state === "writing" && (since === null || since > STALE_SAVE_S));
  }
}

setInterval(tick, 1000);
