// The candidate's exam page: waiting screen, paper, autosave with acknowledgement, live
// pushes from the invigilator, review and submission.
//
// Saving: every change is first written to the numbered journal (localStorage, shared by the
// tabs of this attempt), then sent over the socket; it is shown as saved only when the server
// acknowledged holding that very value. Without a socket the same entries go to the HTTP save
// endpoint. Whatever is still unacknowledged is replayed on every reconnect and after a reload;
// the server keeps the highest sequence number per question.
//
// What the page shows is what the server holds: a save answered "superseded" or
// "attempts.conflict" carries the server's value, which the page then shows (flagging the
// question when it differs from what the candidate had). A refused save stays in the journal,
// shown as refused with its reason, until it is resolved (sent again successfully, or the
// question is changed again). A revoked login (logout elsewhere, a newer login, a workstation
// move) stops all saving at once and lists the changes that were not sent, for the invigilator.

import { Journal, loginNonce, newNonce } from "./journal.js";
import { Countdown, ServerClock, formatDuration } from "./clock.js";
import { isAnswered, renderAnswer, richText } from "./render.js";
import { collectSebKeys, sebHeaders } from "./seb.js";
import { PaperVault, jitterMs } from "./paper_crypto.js";
import { $, jsonData } from "/static/common/dom.js";
import { formatNumber, setCatalogue, t, tn } from "/static/common/i18n.js";
import { isAnswerable, isTyped } from "../js/lib/question_types.js";
import { connect, refusalText } from "../js/lib/socket.js";

const config = jsonData("exam-config");
setCatalogue(config.messages, config.lang);

/** The server's words for a refusal (its `message`, in the page's language), else its code. */
const reasonOf = (resp) => refusalText(resp, t("The server refused this ({code}).", { code: (resp && resp.code) || "?" }));

const journal = openJournal();
const clock = new ServerClock();
const vault = new PaperVault(config.attempt); // the paper, sealed until the start (paper_crypto.js)
const state = {
  phase: "loading", // waiting | writing | paused | locked | submitted | ended
  paper: null,
  answers: {}, // q index -> value (what the page shows)
  current: 0,
  sendTimers: {},
  httpOk: false, // the HTTP fallback reached the server on its last try
  seb: null,
  revoked: false,
  recording: Promise.resolve(), // changes are numbered one after another, in the order made
  inFlight: {}, // q index -> changes made but not yet in the journal
};

/** This login's journal; a journal of a revoked login is never replayed (a fresh one starts). */
function openJournal() {
  let j = new Journal(config.attempt, config.login_session || loginNonce());
  if (j.revoked && !config.login_session) {
    window.localStorage.setItem("exam-login", newNonce());
    j = new Journal(config.attempt, loginNonce());
  }
  return j;
}

const countdown = new Countdown(clock, (remaining, frozen) => {
  const node = $("#timer");
  node.textContent = formatDuration(remaining);
  node.classList.toggle("frozen", frozen);
  node.classList.toggle("low", remaining !== null && remaining <= 300);
  // Announce the last minutes to screen readers once per minute, not every second.
  if (remaining !== null && remaining <= 300 && remaining % 60 === 0 && !frozen) {
    announce(tn("{n} minute left.", "{n} minutes left.", remaining / 60));
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
  if (state.revoked) return setStatus("revoked", t("Saving stopped on this computer"));
  const pending = journal.pending();
  const refused = pending.filter((e) => e.refused);
  if (refused.length) setStatus("refused", tn("{n} change not saved — see why below", "{n} changes not saved — see why below", refused.length));
  else if (!socket.connected && !state.httpOk) setStatus("offline", pending.length
    ? tn("Connection lost — {n} change is kept safe on this computer and will be sent again",
      "Connection lost — {n} changes are kept safe on this computer and will be sent again", pending.length)
    : t("Connection lost — reconnecting"));
  else if (pending.length || Object.keys(state.inFlight).length) setStatus("saving", t("Saving…"));
  else setStatus("saved", t("Saved"));
  showRefusals(refused);
}

/** Every refused change, with its reason, until it is resolved. */
function showRefusals(refused) {
  const box = $("#refused-box");
  const list = $("#refused-list");
  list.replaceChildren();
  for (const e of refused) {
    const li = document.createElement("li");
    li.dataset.q = e.q;
    li.textContent = t("Question {n}: not saved — {reason}", { n: e.q, reason: reasonOf(e.refused) });
    list.append(li);
  }
  box.hidden = refused.length === 0;
}

/** JSON values compared by content (key order ignored). */
function canonical(value) {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}
const same = (a, b) => canonical(a) === canonical(b);

/** What question `q` (index) should show: the newest change of any tab, else what the server holds. */
function latest(q) {
  const entry = journal.pendingFor(q + 1);
  const held = journal.heldFor(q + 1);
  if (entry && (!held || entry.seq > held.seq)) return { value: entry.value, seq: entry.seq, saved: false, entry };
  if (held) return { value: held.value, seq: held.seq, saved: true };
  return null;
}

/** Whether the page may say "Đã lưu" for question `q`: the server holds exactly what it shows. */
function savedAsShown(q) {
  if (state.inFlight[q] || journal.pendingFor(q + 1)) return false;
  const held = journal.heldFor(q + 1);
  return !!held && same(held.value, state.answers[q]);
}

// ---------------------------------------------------------------- socket ------------------
const socket = connect("/exam", { auth: (cb) => cb({ attempt: config.attempt, seb: state.seb }) });

socket.on("connect", hello);
socket.on("disconnect", () => {
  state.httpOk = false;
  refreshStatus();
});
socket.on("connect_error", (err) => {
  if (err && err.data && ENDED.includes(err.data.code)) return revoke(err.data.message);
  refreshStatus();
  if (err && err.data && err.data.code) showBlocker(reasonOf(err.data));
});
socket.on("state", (payload) => applyState(payload));
socket.on("message", (msg) => showMessage(msg));
socket.on("session_revoked", (payload) => revoke(payload && payload.message));

function hello() {
  if (state.revoked) return;
  const sentAt = performance.now();
  socket.timeout(10000).emit("hello", { attempt: config.attempt, seb: state.seb, sealed: vault.id() }, (err, resp) => {
    if (err) return; // the reconnect handler asks again
    if (!resp.ok && ENDED.includes(resp.code)) return revoke(resp.message);
    if (!resp.ok) return showBlocker(reasonOf(resp));
    clock.sync(resp.server_time, sentAt);
    journal.raiseSeq(resp.max_seq || 0);
    learnServerAnswers(resp.answers || {});
    if (resp.sealed_paper) vault.store(resp.sealed_paper);
    if (resp.paper) {
      vault.clear(); // the server sends the paper itself only when the sealed copy here is not current
      loadPaper(resp.paper);
    }
    applyState(resp.state);
    replay();
  });
}

// ---------------------------------------------------------------- sealed paper -------------
let opening = null; // the sealed paper being opened (one at a time)

/** The attempt started: open the paper held sealed with the key its state carries. Without a
 *  usable copy (none, another revision, no WebCrypto, a corrupted one) ask for the paper after
 *  a random delay within the configured window, so such pages do not all ask at once. */
function openPaper(paperKey) {
  if (state.paper || opening) return;
  opening = vault.open(paperKey).then((paper) => {
    if (!paper) return false;
    if (!state.paper) {
      loadPaper(paper);
      $("#paper").hidden = !["writing", "paused", "locked"].includes(state.phase);
      if (state.phase === "writing") replay();
    }
    return true;
  }).catch(() => {
    vault.clear(); // failed authentication: never shown; the server sends the paper instead
    return false;
  }).then((opened) => {
    opening = null;
    if (!opened && !state.paper && !state.revoked) setTimeout(() => { if (!state.paper) hello(); }, jitterMs(config.paper_jitter_ms));
  });
}

/** The server's answers (hello, attempt view): they are the truth for every question without
 *  a newer change here; a change here that the server already overtook is flagged. */
function learnServerAnswers(answers) {
  for (const [key, stored] of Object.entries(answers)) {
    const qNo = Number(key);
    if (!stored || typeof stored.seq !== "number") continue;
    const overtaken = journal.entriesFor(qNo).filter((e) => e.seq <= stored.seq);
    if (overtaken.some((e) => !same(e.value, stored.value))) {
      journal.notice(qNo, "live.changed_elsewhere", changedElsewhere(qNo));
    }
    journal.held(qNo, stored.seq, stored.value);
  }
  if (state.paper) state.paper.forEach((_, q) => syncQuestion(q));
}

function changedElsewhere(qNo) {
  return t("Question {n} was changed in another window or on another computer; the page shows the answer the server holds. Please check this question.", { n: qNo });
}

// ---------------------------------------------------------------- saving ------------------

function change(q, value) {
  if (state.revoked) return;
  state.answers[q] = value;
  state.inFlight[q] = (state.inFlight[q] || 0) + 1;
  markQuestion(q);
  refreshStatus();
  state.recording = state.recording.then(async () => {
    let entry = null;
    try {
      entry = await journal.record(q + 1, value); // the protocol numbers questions from 1
    } finally {
      if (--state.inFlight[q] <= 0) delete state.inFlight[q];
    }
    journal.notice(q + 1, null); // the candidate answered again: the old warning is resolved
    if (entry && !state.revoked) {
      // Typing sends after a short pause; the journal already holds every keystroke's result.
      clearTimeout(state.sendTimers[q]);
      if (isTyped(state.paper[q].type)) state.sendTimers[q] = setTimeout(() => sendLatest(q + 1), 400);
      else send(entry);
    }
    markQuestion(q);
    refreshStatus();
  }).catch((err) => {
    showMessage({ text: t("Could not write the change to the browser's storage ({detail}). Tell the invigilator.", { detail: String(err) }), kind: "error" });
  });
}

function sendLatest(qNo) {
  const entry = journal.pendingFor(qNo);
  if (entry && !(entry.refused && entry.refused.final)) send(entry);
}

function send(entry) {
  if (!socket.connected || state.revoked) return; // the HTTP fallback or the next reconnect takes it
  socket.timeout(10000).emit("save", { attempt: config.attempt, q: entry.q, seq: entry.seq, value: entry.value, seb: state.seb },
    (err, resp) => {
      // No ack in time: the entry stays in the journal and goes again shortly.
      if (err) setTimeout(() => journal.has(entry.seq) && send(journal.entry(entry.seq)), 2000);
      else handleAck(entry, resp);
    });
}

// Refusals that end by themselves or when the invigilator acts: the change is kept and sent
// again on the next reconnect or when the exam is writable again. Everything else that is
// refused is kept and shown too, but not sent again by itself (it would only be refused again).
const RETRYABLE = ["attempts.refused_locked", "attempts.refused_paused", "attempts.refused_not_started",
  "live.error.unavailable", "live.error.not_logged_in", "accounts.csrf_failed", "accounts.rate_limited"];
// The login ended (revoked elsewhere, or expired): stop and show what was not sent.
const ENDED = ["accounts.session_revoked", "accounts.login_required"];
const FINAL = ["attempts.bad_value", "attempts.bad_question", "attempts.bad_seq", "attempts.bad_save_body",
  "attempts.refused_submitted", "attempts.refused_deadline", "attempts.not_found", "live.error.forbidden"];

function handleAck(entry, resp) {
  const qNo = entry.q;
  const q = qNo - 1;
  if (resp.ok) {
    if (resp.status === "superseded") serverHolds(qNo, resp.stored_seq, resp.stored_value);
    else journal.held(qNo, entry.seq, entry.value); // saved or duplicate: this very value is held
  } else if (resp.code === "attempts.conflict") {
    // Another writer used this number for another value: the server's value is the answer now.
    serverHolds(qNo, resp.stored_seq, resp.stored_value, reasonOf(resp));
  } else if (ENDED.includes(resp.code)) {
    return revoke(resp.message);
  } else if (resp.code === "live.error.too_fast") {
    setTimeout(() => journal.has(entry.seq) && send(journal.entry(entry.seq)), 1000);
  } else if (journal.has(entry.seq)) {
    const final = FINAL.includes(resp.code) || (!resp.retry && !RETRYABLE.includes(resp.code) && !String(resp.code).startsWith("seb."));
    journal.refuse(entry.seq, resp.code || "live.error.unknown", reasonOf(resp), final);
    if (final) showMessage({ text: t("Question {n}: not saved — {reason}", { n: qNo, reason: reasonOf(resp) }), kind: "error" });
    if (resp.code === "accounts.csrf_failed") refreshCsrf();
  }
  if (state.paper && q < state.paper.length) {
    syncQuestion(q);
    markQuestion(q);
  }
  refreshStatus();
}

/** The server holds `value` at `seq` for question `qNo` (superseded or conflict): remember it;
 *  unless a newer change waits here, show it, flagging the question when it differs. */
function serverHolds(qNo, seq, value, why) {
  const q = qNo - 1;
  const shown = state.answers[q];
  journal.held(qNo, seq, value);
  const newer = journal.pendingFor(qNo);
  if (!newer && !state.inFlight[q] && (why || !same(shown, value))) {
    journal.notice(qNo, why ? "attempts.conflict" : "live.changed_elsewhere", why || changedElsewhere(qNo));
  }
}

/** Show for question `q` what `latest` says, re-rendering it if it is on screen and changed. */
function syncQuestion(q) {
  if (!state.paper || state.inFlight[q]) return; // a change of this page is being numbered
  const top = latest(q);
  if (!top || same(top.value, state.answers[q])) return markQuestion(q);
  state.answers[q] = top.value;
  if (q === state.current && !$("#exam-main").hidden) showQuestion(q, false);
  else markQuestion(q);
}

function replay() {
  if (state.revoked) return;
  for (const entry of journal.sendable()) send(entry);
  refreshStatus();
}

async function refreshCsrf() {
  try {
    const res = await fetch(config.attempt_url, { credentials: "same-origin", headers: { Accept: "application/json", ...sebHeaders(state.seb) } });
    const view = await res.json();
    if (res.ok && view.csrf_token) config.csrf_token = view.csrf_token;
  } catch {
    // offline: the next tick tries again
  }
}

/** The body of an HTTP refusal: the save contract's top-level fields or the error envelope. */
function refusalOf(status, body) {
  const err = body.error || {};
  const code = status === 401 && !ENDED.includes(body.code || err.code) ? "accounts.login_required"
    : body.code || err.code || `http.${status}`;
  return { ...err, ...body, ok: false, code, message: body.message || err.message || reasonOf({ code }),
    retry: status >= 500 || status === 429 || RETRYABLE.includes(code) || code.startsWith("seb.") };
}

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
  handleAck(entry, refusalOf(res.status, body));
}

// Without a socket (a proxy that blocks websockets, a server restarting) the page keeps in step
// over HTTP: the core's attempt view gives state, deadline, questions and stored answers.
async function httpSync() {
  const held = vault.id();
  const res = await fetch(held ? `${config.attempt_url}?sealed=${encodeURIComponent(held)}` : config.attempt_url, { credentials: "same-origin", headers: { Accept: "application/json", ...sebHeaders(state.seb) } });
  if (!res.ok) {
    const body = await res.json().catch(() => ({}));
    const refusal = refusalOf(res.status, body);
    if (ENDED.includes(refusal.code)) revoke(refusal.message);
    return false;
  }
  const view = await res.json();
  if (view.csrf_token) config.csrf_token = view.csrf_token;
  if (view.sealed_paper) vault.store(view.sealed_paper);
  const a = view.attempt;
  clock.sync(view.server_time_ms);
  const responses = view.responses || {};
  journal.raiseSeq(Math.max(0, ...Object.values(responses).map((r) => r.seq)));
  const phase = a.state === "pending" ? "waiting" : a.state === "submitted" ? "submitted"
    : a.locked ? "locked" : a.state === "active" ? "writing" : "paused";
  learnServerAnswers(responses);
  if (!state.paper && phase !== "waiting" && phase !== "submitted") {
    loadPaper(view.questions.map(({ no, ...q }) => q));
  }
  applyState({ phase, deadline: a.state === "active" ? a.deadline_ms : null, remaining: a.remaining_s === null ? null : Math.round(a.remaining_s),
    server_time: view.server_time_ms, forced: a.state === "submitted" && a.submitted_by !== "candidate",
    pause_reason: view.pause_reason, receipt: view.receipt });
  return true;
}

async function flushHttp() {
  if (socket.connected || state.revoked) return;
  try {
    if (!await httpSync()) return;
    state.httpOk = true;
  } catch {
    state.httpOk = false;
    refreshStatus();
    return; // network down: try again on the next tick
  }
  if (!state.paper || state.phase !== "writing") return;
  for (const entry of journal.sendable()) {
    if (state.revoked) return;
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
const httpTimer = setInterval(flushHttp, 3000);

window.addEventListener("online", () => { if (!socket.connected && !state.revoked) socket.connect(); });

// Another tab of this attempt changed the journal: show the same answers and statuses here.
window.addEventListener("storage", (e) => {
  if (e.key === null) return;
  if (!journal.owns(e.key)) return;
  if (journal.revoked) return revoke();
  if (state.paper) state.paper.forEach((_, q) => syncQuestion(q));
  refreshStatus();
});

// ---------------------------------------------------------------- revoked login ------------
/** The login was revoked: stop saving for good (no retries), say so, and list what was not sent. */
function revoke(message) {
  if (state.revoked) return;
  state.revoked = true;
  journal.markRevoked(); // never replayed, not even after a reload
  clearInterval(httpTimer);
  for (const timer of Object.values(state.sendTimers)) clearTimeout(timer);
  socket.io.reconnection(false);
  socket.disconnect();
  countdown.set({ deadline: null, paused: true, remaining: null });
  $("#main").inert = true;
  $("#overlay").hidden = true;
  const unsent = journal.pending();
  $("#revoked-text").textContent = message || revokedText();
  $("#revoked-summary").textContent = unsent.length
    ? tn("The change below was not sent to the server and will not be sent. Please tell the invigilator.",
      "The {n} changes below were not sent to the server and will not be sent. Please tell the invigilator.", unsent.length)
    : t("Every change made on this computer was saved by the server.");
  const list = $("#revoked-list");
  list.replaceChildren();
  for (const e of unsent) {
    const li = document.createElement("li");
    li.dataset.q = e.q;
    li.textContent = t("Question {n}: {value}", { n: e.q, value: describe(state.paper && state.paper[e.q - 1], e.value) });
    list.append(li);
  }
  $("#revoked").hidden = false;
  $("#revoked").focus();
  refreshStatus();
  announce(message || revokedText());
}

function revokedText() {
  return t("You logged in elsewhere or the invigilator moved you to another computer, so this computer no longer saves. Every answer the server saved is kept.");
}

/** An answer as words an invigilator can read off the screen. */
function describe(question, value) {
  if (value === null || value === undefined || value === "") return t("(blank)");
  if (typeof value === "boolean") return value ? t("True") : t("False");
  if (Array.isArray(value)) return value.map((v) => describe(question, v)).join(", ");
  if (typeof value === "object") return Object.entries(value).map(([k, v]) => `${k}: ${describe(question, v)}`).join("; ");
  return String(value);
}

// ---------------------------------------------------------------- state --------------------
function applyState(s) {
  if (!s || state.revoked) return;
  if (s.server_time) clock.sync(s.server_time);
  // A lock holds the saves, not the clock: only a pause freezes the countdown.
  countdown.set({ deadline: s.deadline, paused: s.phase === "paused", remaining: s.remaining });
  const before = state.phase;
  state.phase = s.phase;
  document.body.dataset.phase = s.phase;
  const held = s.phase === "paused" || s.phase === "locked";
  $("#overlay").hidden = !held;
  $("#main").inert = held; // nothing behind the overlay can be reached, by mouse or keyboard
  $("#overlay-text").textContent = s.phase === "locked" ? (s.message || t("Your exam is locked. Please tell the invigilator.")) : pausedText();
  const reason = s.phase === "paused" ? (s.pause_reason || "") : "";
  $("#overlay-reason").textContent = reason ? t("Reason: {reason}", { reason }) : "";
  $("#overlay-reason").hidden = !reason;
  $("#waiting").hidden = s.phase !== "waiting";
  $("#finished").hidden = !(s.phase === "submitted" || s.phase === "ended");
  $("#paper").hidden = !state.paper || !["writing", "paused", "locked"].includes(s.phase);
  if (!state.paper && s.paper_key && ["writing", "paused", "locked"].includes(s.phase)) openPaper(s.paper_key);
  if (s.extra_seconds_added) showTimeNotice(s);
  if (s.receipt) showReceipt(s.receipt);
  if (before !== s.phase) {
    if (s.phase === "paused") announce(reason ? `${pausedText()} ${t("Reason: {reason}", { reason })}` : pausedText());
    if (s.phase === "writing" && !state.paper && !s.paper_key) setTimeout(hello, jitterMs(config.paper_jitter_ms)); // started, no key: fetch, jittered
    else if (s.phase === "writing") replay(); // resumed or unlocked: send what was held back
    if (s.phase === "submitted" || s.phase === "ended") {
      // Nothing of this candidate's answers stays on a shared school computer; changes that
      // never reached the server stay listed (and kept) for the invigilator to see.
      const unsent = journal.pending();
      if (!unsent.length) journal.clearAttempt();
      vault.clear();
      $("#finished-text").textContent = s.forced ? t("Your exam was collected. Every saved answer is kept.")
        : t("You have submitted. Your answers are saved.");
      const list = $("#finished-unsent");
      list.replaceChildren();
      for (const e of unsent) {
        const li = document.createElement("li");
        li.textContent = t("Question {n}: {value}", { n: e.q, value: describe(state.paper && state.paper[e.q - 1], e.value) })
          + (e.refused ? ` — ${reasonOf(e.refused)}` : "");
        list.append(li);
      }
      list.hidden = unsent.length === 0;
      $("#review").hidden = true;
      $("#finished").focus();
    }
  }
}

function pausedText() {
  return t("The exam is paused. The clock is stopped; the paused time is given back.");
}

const timeFormat = () => new Intl.DateTimeFormat(config.lang === "en" ? "en-GB" : "vi-VN", { hour: "2-digit", minute: "2-digit" });

/** Extra time (or time taken back) stays on screen: the minutes and the new end time. */
function showTimeNotice(s) {
  const minutes = Math.round(Math.abs(s.extra_seconds_added) / 60);
  const end = s.deadline ? timeFormat().format(new Date(s.deadline)) : "";
  let text;
  if (!end) {
    text = tn("You were given {n} more minute. The new end time is set when the exam resumes.",
      "You were given {n} more minutes. The new end time is set when the exam resumes.", minutes);
  } else if (s.extra_seconds_added > 0) {
    text = tn("You were given {n} more minute. New end time: {end}.", "You were given {n} more minutes. New end time: {end}.", minutes, { end });
  } else {
    text = tn("Your time was reduced by {n} minute. New end time: {end}.", "Your time was reduced by {n} minutes. New end time: {end}.", minutes, { end });
  }
  const node = $("#time-notice");
  node.textContent = text;
  node.hidden = false;
  announce(text);
}

/** After the submission: when, how many answered of how many, and the code the board verifies. */
function showReceipt(r) {
  const when = new Intl.DateTimeFormat(config.lang === "en" ? "en-GB" : "vi-VN", {
    hour: "2-digit", minute: "2-digit", second: "2-digit", day: "2-digit", month: "2-digit", year: "numeric",
  }).format(new Date(r.submitted_at_ms));
  $("#receipt-time").textContent = when;
  $("#receipt-answered").textContent = t("{n} of {total}", { n: r.answered, total: r.total });
  $("#receipt-code").textContent = r.code;
  $("#receipt").hidden = false;
  $("#logout").hidden = false;
  $("#time-notice").hidden = true;
}

/** Log out from the receipt screen: the socket closes first so the page does not report a revoked login. */
async function logout() {
  const button = $("#logout");
  button.disabled = true;
  state.revoked = true; // nothing more is sent from this page
  clearInterval(httpTimer);
  socket.io.reconnection(false);
  socket.disconnect();
  try {
    await fetch(button.dataset.api, { method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": config.csrf_token } });
  } finally {
    window.location.assign(button.dataset.next);
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
function loadPaper(paper) {
  const first = !state.paper;
  state.paper = paper;
  for (let q = 0; q < paper.length; q++) {
    const top = latest(q);
    state.answers[q] = top ? top.value : undefined;
  }
  buildGrid();
  showQuestion(first ? 0 : state.current, false);
}

function questionLabel(q) {
  const parts = [t("Question {n}", { n: q + 1 })];
  parts.push(isAnswered(state.paper[q], state.answers[q]) ? t("answered") : t("not answered"));
  if (journal.flags[q]) parts.push(t("flagged"));
  const entry = journal.pendingFor(q + 1);
  if (entry && entry.refused) parts.push(t("not saved: {reason}", { reason: reasonOf(entry.refused) }));
  else if (entry || state.inFlight[q]) parts.push(t("not saved"));
  if (journal.noticeFor(q + 1)) parts.push(t("check again"));
  return parts.join(", ");
}

function buildGrid() {
  const grid = $("#grid");
  grid.replaceChildren();
  state.paper.forEach((question, q) => {
    if (!isAnswerable(question.type)) return;
    const b = document.createElement("button");
    b.type = "button";
    b.className = "cell";
    b.dataset.q = q;
    // Answered cells carry a check mark as well as a colour (WCAG 1.4.1: not by colour alone).
    const mark = document.createElement("span");
    mark.className = "mark";
    mark.setAttribute("aria-hidden", "true");
    b.append(String(q + 1), mark);
    b.addEventListener("click", () => showQuestion(q, true));
    grid.append(b);
    markQuestion(q);
  });
}

function markQuestion(q) {
  const b = document.querySelector(`#grid .cell[data-q="${q}"]`);
  if (!b) return;
  const answered = isAnswered(state.paper[q], state.answers[q]);
  b.classList.toggle("answered", answered);
  b.querySelector(".mark").textContent = answered ? "✓" : "";
  b.classList.toggle("flagged", !!journal.flags[q]);
  const entry = journal.pendingFor(q + 1);
  const notice = journal.noticeFor(q + 1);
  b.classList.toggle("unsaved", !!entry || !!state.inFlight[q]);
  b.classList.toggle("refused", !!(entry && entry.refused));
  b.classList.toggle("notice", !!notice);
  b.classList.toggle("current", q === state.current);
  b.setAttribute("aria-label", questionLabel(q));
  if (q === state.current) b.setAttribute("aria-current", "step");
  else b.removeAttribute("aria-current");
  if (q === state.current) {
    // "Đã lưu" only for exactly the value the server holds.
    const node = $("#q-saved");
    let kind = "";
    let text = "";
    if (entry && entry.refused) [kind, text] = ["refused", t("not saved: {reason}", { reason: reasonOf(entry.refused) })];
    else if (entry || state.inFlight[q]) [kind, text] = ["saving", t("Saving…")];
    else if (savedAsShown(q) && isAnswered(state.paper[q], state.answers[q])) [kind, text] = ["saved", t("Saved")];
    node.dataset.kind = kind;
    node.textContent = text;
    const warn = $("#q-notice");
    warn.textContent = notice ? notice.message || changedElsewhere(q + 1) : "";
    warn.hidden = !notice;
  }
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
  heading.textContent = `${t("Question {n}", { n: q + 1 })} (${t("{n} points", { n: formatNumber(question.points) })})`;
  box.append(heading, richText(question.stem, question.media));
  box.append(renderAnswer(question, q, state.answers[q], (value) => change(q, value)));
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
    if (!isAnswerable(question.type)) return;
    const answered = isAnswered(question, state.answers[q]);
    if (!answered) unanswered += 1;
    const li = document.createElement("li");
    const b = document.createElement("button");
    b.type = "button";
    b.className = answered ? "answered" : "unanswered";
    b.textContent = questionLabel(q);
    b.addEventListener("click", () => showQuestion(q, true));
    li.append(b);
    list.append(li);
  });
  $("#review-summary").textContent = unanswered
    ? tn("{n} question not answered.", "{n} questions not answered.", unanswered) : t("You have answered every question.");
  $("#exam-main").hidden = true;
  $("#review").hidden = false;
  $("#review-heading").focus();
}

function submit() {
  const dialog = $("#confirm");
  const pending = journal.sendable().length;
  const refused = journal.pending().filter((e) => e.refused && e.refused.final);
  // Name the unanswered questions once more: the last chance before the answers are final.
  const unanswered = state.paper.filter((question, q) => isAnswerable(question.type) && !isAnswered(question, state.answers[q])).length;
  const warning = unanswered ? `${tn("{n} question is still unanswered.", "{n} questions are still unanswered.", unanswered)} ` : "";
  const lost = refused.length
    ? ` ${t("The changes to question {list} were refused by the server and will not be submitted.", { list: refused.map((e) => e.q).join(", ") })}` : "";
  const ask = pending
    ? tn("{n} change is not yet confirmed by the server; it is sent first. Submit?",
      "{n} changes are not yet confirmed by the server; they are sent first. Submit?", pending)
    : t("After submitting you cannot change your answers. Submit now?");
  $("#confirm-text").textContent = warning + ask + lost;
  dialog.showModal();
}

/** Resolves true once every change that can still be saved was acknowledged (or false on timeout). */
async function drained(timeoutMs) {
  await state.recording; // changes being numbered are part of the journal too
  const end = Date.now() + timeoutMs;
  replay();
  while (journal.sendable().length || Object.keys(state.inFlight).length) {
    if (state.revoked || Date.now() > end || !socket.connected) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return true;
}

async function confirmSubmit() {
  if (state.revoked) return;
  if (!socket.connected) {
    httpSubmit().catch(() => showMessage({ text: submitOfflineText(), kind: "error" }));
    return;
  }
  // As over HTTP: submit only once the journal drained, so nothing sent is refused as late.
  if (!await drained(15000)) {
    if (!state.revoked) showMessage({ text: t("Not submitted: some changes are not yet confirmed by the server. Your work is kept; try submitting again in a moment."), kind: "error" });
    return;
  }
  socket.timeout(15000).emit("submit", { attempt: config.attempt, seb: state.seb }, (err, resp) => {
    if (err) return showMessage({ text: submitOfflineText(), kind: "error" });
    if (!resp.ok && ENDED.includes(resp.code)) return revoke(resp.message);
    if (!resp.ok) return showMessage({ text: reasonOf(resp), kind: "error" });
    applyState(resp.state);
  });
}

function submitOfflineText() {
  return t("Offline, so the exam was not submitted. Your work is saved; try again when connected.");
}

/** Submitting over HTTP: only once every journal entry that can be saved is acknowledged. */
async function httpSubmit() {
  await state.recording;
  await flushHttp();
  if (state.revoked) return;
  if (journal.sendable().length) throw new Error("unsaved changes");
  const res = await fetch(config.submit_url, {
    method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": config.csrf_token, ...sebHeaders(state.seb) },
  });
  if (!res.ok) {
    const body = await res.json().catch(() => ({}));
    const refusal = refusalOf(res.status, body);
    if (ENDED.includes(refusal.code)) return revoke(refusal.message);
    return showMessage({ text: refusal.message || submitOfflineText(), kind: "error" });
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
$("#logout").addEventListener("click", logout);
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
window.examPage = { journal, state, socket, latest, savedAsShown, replay, vault }; // for the browser tests and the curious invigilator
