// The candidate's exam page: waiting screen, paper, autosave with acknowledgement, live
// pushes from the invigilator, review and submission.
//
// Saving: every change is first written to the numbered journal (localStorage), then sent
// over the socket; it is shown as saved only when the server acknowledged its sequence
// number. Without a socket the same entries go to the HTTP save endpoint. Whatever is still
// unacknowledged is replayed on every reconnect and after a reload; the server keeps the
// highest sequence number per question, so replays never duplicate or roll back anything.

import { Journal } from "./journal.js";
import { Countdown, ServerClock, formatDuration } from "./clock.js";
import { isAnswered, renderAnswer, richText } from "./render.js";
import { collectSebKeys } from "./seb.js";

const config = JSON.parse(document.getElementById("exam-config").textContent);
const messages = config.messages || {};
const t = (key, params = {}) => (messages[key] || key).replace(/\{(\w+)\}/g, (_, k) => params[k] ?? "");
const $ = (sel) => document.querySelector(sel);

const journal = new Journal(config.attempt);
const clock = new ServerClock();
const state = {
  phase: "loading", // waiting | writing | paused | locked | submitted | ended
  paper: null,
  answers: {}, // q index -> value (what the page shows)
  current: 0,
  sendTimers: {},
  httpOk: false, // the HTTP fallback reached the server on its last try
  seb: null,
};

const countdown = new Countdown(clock, (remaining, frozen) => {
  const node = $("#timer");
  node.textContent = formatDuration(remaining);
  node.classList.toggle("frozen", frozen);
  node.classList.toggle("low", remaining !== null && remaining <= 300);
  // Announce the last minutes to screen readers once per minute, not every second.
  if (remaining !== null && remaining <= 300 && remaining % 60 === 0 && !frozen) {
    announce(t("live.minutes_left", { n: remaining / 60 }));
  }
});

function announce(text) {
  const live = $("#announcer");
  live.textContent = "";
  setTimeout(() => { live.textContent = text; }, 50);
}

function setStatus(kind, text) {
  const node = $("#save-status");
  node.dataset.kind = kind;
  node.textContent = text;
}

function refreshStatus() {
  const pending = journal.pending().length;
  if (!socket.connected && !state.httpOk) setStatus("offline", pending ? t("live.offline_pending", { n: pending }) : t("live.offline"));
  else if (pending) setStatus("saving", t("live.saving"));
  else setStatus("saved", t("live.saved"));
}

// ---------------------------------------------------------------- socket ------------------
// websocket only: every server process can take the connection without sticky sessions.
const socket = window.io("/exam", {
  transports: ["websocket"],
  reconnectionDelay: 500,
  reconnectionDelayMax: 4000,
  auth: (cb) => cb({ attempt: config.attempt, seb: state.seb }),
});

socket.on("connect", hello);
socket.on("disconnect", () => {
  state.httpOk = false;
  refreshStatus();
});
socket.on("connect_error", (err) => {
  refreshStatus();
  if (err && err.data && err.data.code) showBlocker(err.data.message || t(err.data.code));
});
socket.on("state", (payload) => applyState(payload));
socket.on("message", (msg) => showMessage(msg));

function hello() {
  const sentAt = performance.now();
  socket.timeout(10000).emit("hello", { attempt: config.attempt, seb: state.seb }, (err, resp) => {
    if (err) return; // the reconnect handler asks again
    if (!resp.ok) return showBlocker(resp.message || t(resp.code));
    clock.sync(resp.server_time, sentAt);
    journal.raiseSeq(resp.max_seq || 0);
    if (resp.paper) loadPaper(resp.paper, resp.answers || {});
    applyState(resp.state);
    replay();
  });
}

// ---------------------------------------------------------------- saving ------------------
function change(q, value) {
  state.answers[q] = value;
  const entry = journal.record(q + 1, value); // the protocol numbers questions from 1
  markQuestion(q);
  refreshStatus();
  // Typing sends after a short pause; the journal already holds every keystroke's result.
  const typed = ["short_text", "numeric", "essay", "short_answer4"].includes(state.paper[q].type);
  clearTimeout(state.sendTimers[q]);
  if (typed) state.sendTimers[q] = setTimeout(() => send(entry), 400);
  else send(entry);
}

function send(entry) {
  if (!socket.connected) return; // the HTTP fallback or the next reconnect takes it
  socket.timeout(10000).emit("save", { attempt: config.attempt, q: entry.q, seq: entry.seq, value: entry.value, seb: state.seb },
    (err, resp) => {
      // No ack in time: the entry stays in the journal and goes again shortly.
      if (err) setTimeout(() => journal.entries[entry.seq] && send(entry), 2000);
      else handleAck(entry, resp);
    });
}

function handleAck(entry, resp) {
  if (resp.ok) {
    journal.acknowledge(entry.seq);
  } else if (resp.code === "live.error.too_fast") {
    setTimeout(() => journal.entries[entry.seq] && send(entry), 1000);
  } else if (!resp.retry) {
    // Refused for good (after the deadline, submitted): keeping it would replay forever.
    journal.acknowledge(entry.seq);
    showMessage({ text: resp.message || t(resp.code), kind: "error" });
  }
  markQuestion(entry.q - 1);
  refreshStatus();
}

function replay() {
  for (const entry of journal.pending()) send(entry);
  refreshStatus();
}

// Refusals that end when the invigilator acts; the change stays in the journal meanwhile.
const RETRYABLE = ["attempts.refused_locked", "attempts.refused_paused", "attempts.refused_not_started"];

async function httpSave(entry) {
  // The core's save endpoint: PUT {save_url}{question number} with {seq, value}.
  const res = await fetch(config.save_url + entry.q, {
    method: "PUT",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": config.csrf_token },
    body: JSON.stringify({ seq: entry.seq, value: entry.value, seb: state.seb }),
  });
  const body = await res.json().catch(() => ({}));
  if (res.ok) return handleAck(entry, { ok: true, ...body });
  const err = body.error || {};
  const retry = res.status >= 500 || res.status === 429 || res.status === 401 || RETRYABLE.includes(err.code);
  handleAck(entry, { ok: false, retry, code: err.code, message: err.message });
}

// Without a socket (a proxy that blocks websockets, a server restarting) the page keeps in step
// over HTTP: the core's attempt view gives state, deadline, questions and stored answers.
async function httpSync() {
  const res = await fetch(config.attempt_url, { credentials: "same-origin", headers: { Accept: "application/json" } });
  if (!res.ok) return;
  const view = await res.json();
  const a = view.attempt;
  clock.sync(view.server_time_ms);
  const responses = view.responses || {};
  journal.raiseSeq(Math.max(0, ...Object.values(responses).map((r) => r.seq)));
  const phase = a.state === "pending" ? "waiting" : a.state === "submitted" ? "submitted"
    : a.locked ? "locked" : a.state === "active" ? "writing" : "paused";
  if (!state.paper && phase !== "waiting" && phase !== "submitted") {
    loadPaper(view.questions.map(({ no, ...q }) => q), responses);
  }
  applyState({ phase, deadline: a.state === "active" ? a.deadline_ms : null, remaining: a.remaining_s === null ? null : Math.round(a.remaining_s),
    server_time: view.server_time_ms, forced: a.state === "submitted" && a.submitted_by !== "candidate" });
}

async function flushHttp() {
  if (socket.connected) return;
  try {
    await httpSync();
    state.httpOk = true;
  } catch {
    state.httpOk = false;
    refreshStatus();
    return; // network down: try again on the next tick
  }
  if (!state.paper) return;
  for (const entry of journal.pending()) {
    try {
      await httpSave(entry);
    } catch {
      state.httpOk = false;
      refreshStatus();
      return; // network down: try again on the next tick
    }
  }
}

// Always ticking; it does nothing while the socket is up, however the socket failed otherwise.
setInterval(flushHttp, 3000);

window.addEventListener("online", () => { if (!socket.connected) socket.connect(); });

// ---------------------------------------------------------------- state --------------------
function applyState(s) {
  if (!s) return;
  if (s.server_time) clock.sync(s.server_time);
  // A lock holds the saves, not the clock: only a pause freezes the countdown.
  countdown.set({ deadline: s.deadline, paused: s.phase === "paused", remaining: s.remaining });
  const before = state.phase;
  state.phase = s.phase;
  document.body.dataset.phase = s.phase;
  const held = s.phase === "paused" || s.phase === "locked";
  $("#overlay").hidden = !held;
  $("#main").inert = held; // nothing behind the overlay can be reached, by mouse or keyboard
  $("#overlay-text").textContent = s.phase === "locked" ? (s.message || t("live.locked")) : t("live.paused");
  $("#waiting").hidden = s.phase !== "waiting";
  $("#finished").hidden = !(s.phase === "submitted" || s.phase === "ended");
  $("#paper").hidden = !state.paper || !["writing", "paused", "locked"].includes(s.phase);
  if (s.extra_seconds_added) announce(t("live.extra_time", { n: Math.round(s.extra_seconds_added / 60) }));
  if (before !== s.phase) {
    if (s.phase === "paused") announce(t("live.paused"));
    if (s.phase === "writing" && !state.paper) hello(); // the room started: fetch the paper
    else if (s.phase === "writing") replay(); // resumed or unlocked: send what was held back
    if (s.phase === "submitted" || s.phase === "ended") {
      // Nothing of this candidate's answers stays on a shared school computer.
      if (!journal.pending().length) journal.clear();
      $("#finished-text").textContent = s.forced ? t("live.forced_submit") : t("live.submitted");
      $("#review").hidden = true;
      $("#finished").focus();
    }
  }
}

function showBlocker(text) {
  $("#blocker").hidden = false;
  $("#blocker-text").textContent = text;
}

function showMessage(msg) {
  const list = $("#messages");
  const item = document.createElement("li");
  item.className = msg.kind === "error" ? "error" : "";
  const when = msg.at ? new Date(msg.at).toLocaleTimeString(config.lang === "en" ? "en-GB" : "vi-VN") : "";
  item.textContent = when ? `${when} — ${msg.text}` : msg.text;
  list.prepend(item);
  $("#messages-box").hidden = false;
  announce(msg.text);
}

// ---------------------------------------------------------------- paper --------------------
function loadPaper(paper, serverAnswers) {
  const first = !state.paper;
  state.paper = paper;
  for (let q = 0; q < paper.length; q++) {
    const pending = journal.pendingFor(q + 1);
    const server = serverAnswers[q + 1] ?? serverAnswers[String(q + 1)];
    state.answers[q] = pending ? pending.value : server ? server.value : undefined;
  }
  buildGrid();
  showQuestion(first ? 0 : state.current, false);
}

function questionLabel(q) {
  const parts = [t("live.question_n", { n: q + 1 })];
  if (isAnswered(state.paper[q], state.answers[q])) parts.push(t("live.answered"));
  if (journal.flags[q]) parts.push(t("live.flagged"));
  if (journal.pendingFor(q + 1)) parts.push(t("live.not_saved"));
  return parts.join(", ");
}

function buildGrid() {
  const grid = $("#grid");
  grid.replaceChildren();
  state.paper.forEach((question, q) => {
    if (question.type === "description") return;
    const b = document.createElement("button");
    b.type = "button";
    b.className = "cell";
    b.dataset.q = q;
    b.textContent = q + 1;
    b.addEventListener("click", () => showQuestion(q, true));
    grid.append(b);
    markQuestion(q);
  });
}

function markQuestion(q) {
  const b = document.querySelector(`#grid .cell[data-q="${q}"]`);
  if (!b) return;
  b.classList.toggle("answered", isAnswered(state.paper[q], state.answers[q]));
  b.classList.toggle("flagged", !!journal.flags[q]);
  b.classList.toggle("unsaved", !!journal.pendingFor(q + 1));
  b.classList.toggle("current", q === state.current);
  b.setAttribute("aria-label", questionLabel(q));
  if (q === state.current) b.setAttribute("aria-current", "step");
  else b.removeAttribute("aria-current");
  if (q === state.current) $("#q-saved").textContent = journal.pendingFor(q + 1) ? t("live.saving") : (isAnswered(state.paper[q], state.answers[q]) ? t("live.saved") : "");
}

function showQuestion(q, focus) {
  const previous = state.current;
  state.current = q;
  const question = state.paper[q];
  const box = $("#question");
  box.replaceChildren();
  const heading = document.createElement("h2");
  heading.id = "q-heading";
  heading.tabIndex = -1;
  heading.textContent = `${t("live.question_n", { n: q + 1 })} (${t("live.points", { n: question.points.toLocaleString(config.lang === "en" ? "en" : "vi") })})`;
  box.append(heading, richText(question.stem, question.media));
  box.append(renderAnswer(question, q, state.answers[q], (value) => change(q, value), t));
  $("#flag").setAttribute("aria-pressed", journal.flags[q] ? "true" : "false");
  $("#prev").disabled = q === 0;
  $("#next").disabled = q === state.paper.length - 1;
  markQuestion(previous);
  markQuestion(q);
  $("#review").hidden = true;
  $("#exam-main").hidden = false;
  if (focus) heading.focus();
}

function showReview() {
  const list = $("#review-list");
  list.replaceChildren();
  let unanswered = 0;
  state.paper.forEach((question, q) => {
    if (question.type === "description") return;
    const answered = isAnswered(question, state.answers[q]);
    if (!answered) unanswered += 1;
    const li = document.createElement("li");
    const b = document.createElement("button");
    b.type = "button";
    b.className = answered ? "answered" : "unanswered";
    b.textContent = questionLabel(q) + (answered ? "" : `, ${t("live.unanswered")}`);
    b.addEventListener("click", () => showQuestion(q, true));
    li.append(b);
    list.append(li);
  });
  $("#review-summary").textContent = unanswered ? t("live.review_summary", { n: unanswered }) : t("live.review_all_answered");
  $("#exam-main").hidden = true;
  $("#review").hidden = false;
  $("#review-heading").focus();
}

function submit() {
  const dialog = $("#confirm");
  const pending = journal.pending().length;
  // Name the unanswered questions once more: the last chance before the answers are final.
  const unanswered = state.paper.filter((question, q) => question.type !== "description" && !isAnswered(question, state.answers[q])).length;
  const warning = unanswered ? `${t("live.confirm_unanswered", { n: unanswered })} ` : "";
  $("#confirm-text").textContent = warning + (pending ? t("live.confirm_pending", { n: pending }) : t("live.confirm_submit"));
  dialog.showModal();
}

function confirmSubmit() {
  if (!socket.connected) {
    httpSubmit().catch(() => showMessage({ text: t("live.submit_offline"), kind: "error" }));
    return;
  }
  replay();
  socket.timeout(15000).emit("submit", { attempt: config.attempt, seb: state.seb }, (err, resp) => {
    if (err) return showMessage({ text: t("live.submit_offline"), kind: "error" });
    if (!resp.ok) return showMessage({ text: resp.message || t(resp.code), kind: "error" });
    applyState(resp.state);
  });
}

/** Submitting over HTTP: only once every journal entry is acknowledged. */
async function httpSubmit() {
  await flushHttp();
  if (journal.pending().length) throw new Error("unsaved changes");
  const res = await fetch(config.submit_url, {
    method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": config.csrf_token },
  });
  if (!res.ok) {
    const body = await res.json().catch(() => ({}));
    return showMessage({ text: (body.error && body.error.message) || t("live.submit_offline"), kind: "error" });
  }
  await httpSync();
}

// ---------------------------------------------------------------- wiring -------------------
$("#prev").addEventListener("click", () => showQuestion(state.current - 1, true));
$("#next").addEventListener("click", () => showQuestion(state.current + 1, true));
$("#flag").addEventListener("click", () => {
  journal.setFlag(state.current, !journal.flags[state.current]);
  $("#flag").setAttribute("aria-pressed", journal.flags[state.current] ? "true" : "false");
  markQuestion(state.current);
});
$("#to-review").addEventListener("click", showReview);
$("#back-to-paper").addEventListener("click", () => showQuestion(state.current, true));
$("#submit").addEventListener("click", submit);
$("#confirm").addEventListener("close", () => {
  if ($("#confirm").returnValue === "yes") confirmSubmit();
});
document.addEventListener("keydown", (e) => {
  // Alt+→ / Alt+← move between questions without leaving the keyboard.
  if (!state.paper || !e.altKey) return;
  if (e.key === "ArrowRight" && state.current < state.paper.length - 1) showQuestion(state.current + 1, true);
  if (e.key === "ArrowLeft" && state.current > 0) showQuestion(state.current - 1, true);
});

state.seb = collectSebKeys();
refreshStatus();
window.examPage = { journal, state, socket }; // for the browser tests and the curious invigilator
