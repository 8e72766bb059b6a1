// The station screen: polls /api/state, refreshes the camera picture, handles the keys.
//
// Texts: English source text translated by the station's `js` catalogue (exam_client/translations),
// handed over in the page's #texts element; reasons of a decision arrive already translated
// (`message`, from /api/state). The i18n and DOM modules are the ones the server's pages use,
// served by the station at /static/common/ (exam_common/assets.py).

import { el } from "/static/common/dom.js";
import { loadCatalogue, t, tn } from "/static/common/i18n.js";

loadCatalogue("texts", document.documentElement.lang);

// The labels of the states the station reports as codes.
function cardLabel(state) {
  const labels = {
    waiting: t("Put the CCCD card on the reader"), reading: t("Reading the card…"), read: t("Card read"),
    needs_keys: t("No card keys yet: show the QR code on the front of the card to the camera, or type the ID number / MRZ."),
    error: t("Card error"),
  };
  return labels[state] || state;
}

function checkLabel(status) {
  return { passed: t("Passed"), failed: t("Failed"), not_run: t("Not checked") }[status] || status;
}

function rosterLabel(status) {
  const labels = {
    expected: t("Expected"), checked_in: t("Checked in"), queued: t("Queued"), refused: t("Refused"), absent: t("Absent"),
  };
  return labels[status] || status;
}

function faceProblem(problem) {
  const labels = {
    blurred: t("The picture is blurred. Ask the candidate to hold still; wipe the camera lens."),
    liveness_failed: t("The candidate has not done what was asked (blink / turn head)."),
    no_face: t("No face found. Ask the candidate to look straight at the camera."),
    several_faces: t("Several faces in the picture. Only one candidate in front of the camera."),
    too_dark: t("The picture is too dark. Add light or turn the candidate towards the light."),
    too_small: t("The face is too small. Ask the candidate to come closer to the camera."),
  };
  return labels[problem] || problem;
}

function livenessHint(challenge) {
  const labels = {
    blink: t("While the card is on the reader, ask the candidate to look at the camera and blink."),
    turn_head: t("While the card is on the reader, ask the candidate to turn their head and look back."),
  };
  return labels[challenge] || challenge;
}

{
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const $ = (id) => document.getElementById(id);
  let lastResultId = null;
  let overridable = false;

  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body || {}),
      credentials: "same-origin",
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(data.message || response.statusText);
    return data;
  }

  function renderResult(result) {
    const decision = $("decision");
    const reasons = $("reasons");
    reasons.replaceChildren();
    $("seat").textContent = "";
    $("login-code").textContent = "";
    $("score").textContent = "";
    $("holder").replaceChildren();
    $("report").tBodies[0].replaceChildren();
    if (!result) {
      decision.textContent = "";
      decision.className = "banner";
      $("chip-photo").removeAttribute("src");
      $("live-photo").removeAttribute("src");
      return;
    }
    const status = result.status;
    decision.dataset.status = status;
    decision.className = "banner " + status;
    if (status === "accepted") {
      decision.textContent = t("Valid. Seat {seat}.", { seat: result.seat || "" });
      if (result.decision.override) {
        reasons.append(el("li", { text: t("Override by {user}: {reason}",
          { user: result.decision.override.by, reason: result.decision.override.reason }) }));
      }
    } else if (status === "queued") {
      decision.textContent = t("Valid, queued (server unreachable). The login code will come when the connection is back.");
    } else {
      decision.textContent = t("Failed");
    }
    if (result.rejected) reasons.append(el("li", { text: t("The server refused: {detail}", { detail: result.rejected }) }));
    const serverReasons = (result.server && result.server.reasons) || [];
    const shown = serverReasons.length ? serverReasons : (status === "accepted" ? [] : result.decision.reasons);
    for (const reason of shown) {
      // Translated by the station in the page's language (the server's text for codes it lacks).
      reasons.append(el("li", { text: reason.text || reason.message || reason.code, "data-code": reason.code }));
    }
    $("seat").textContent = result.seat || "";
    $("login-code").textContent = result.login_code || "";
    if (result.face && result.face.distance !== undefined) {
      $("score").textContent = `${Math.round(result.face.score * 100)}% (d=${result.face.distance})`;
    } else if (result.face && result.face.problem) {
      $("score").textContent = faceProblem(result.face.problem);
    }
    const holder = result.holder || {};
    for (const [name, value] of Object.entries(holder)) {
      $("holder").append(el("dt", { text: name }), el("dd", { text: value }));
    }
    const checks = (result.verification && result.verification.checks) || [];
    for (const check of checks) {
      const row = el("tr", { "data-status": check.status });
      row.append(el("th", { text: check.name }), el("td", { text: checkLabel(check.status) }), el("td", { text: check.detail || "" }));
      $("report").tBodies[0].append(row);
    }
    if (result.checkin_id !== lastResultId) {
      lastResultId = result.checkin_id;
      $("chip-photo").src = "/chip.jpg?" + result.checkin_id;
      $("live-photo").src = "/live.jpg?" + result.checkin_id;
    }
  }

  function renderRoster(roster) {
    const body = document.querySelector("#roster tbody");
    body.replaceChildren();
    for (const c of roster) {
      const row = el("tr", { "data-status": c.status, "data-sbd": c.sbd });
      row.append(el("td", { text: c.sbd }), el("td", { text: c.full_name }), el("td", { text: c.seat || "" }),
        el("td", { text: rosterLabel(c.status) }));
      body.append(row);
    }
  }

  function render(state) {
    $("room-name").textContent = (state.room && state.room.name) || "";
    $("login").hidden = state.logged_in;
    $("station").hidden = !state.logged_in;
    if (!state.logged_in) return;
    $("invigilator").textContent = (state.invigilator && (state.invigilator.full_name || state.invigilator.username)) || "";
    $("server-status").textContent = state.server_online ? `● ${t("online")}` : `○ ${t("offline")}`;
    $("server-status").className = state.server_online ? "ok" : "bad";
    $("queue-status").textContent = state.queue.length ? tn("{n} check-in waiting to be sent", "{n} check-ins waiting to be sent", state.queue.length) : "";
    const card = state.card;
    $("card-state").textContent = cardLabel(card.state) + (card.message && card.message.text ? ": " + card.message.text : "");
    $("card-state").dataset.state = card.state;
    $("qr-holder").textContent = state.qr ? `QR: ${state.qr.name} (${state.qr.id})` :
      (state.keys ? `${state.keys.source}: ${state.keys.expected_id || ""}` : "");
    $("liveness-hint").hidden = !state.liveness;
    $("liveness-hint").textContent = state.liveness ? livenessHint(state.liveness) : "";
    overridable = state.overridable;
    renderResult(state.result);
    renderRoster(state.roster);
    const queue = $("queue");
    queue.replaceChildren();
    for (const entry of state.queue) {
      queue.append(el("li", { text: `${entry.created_at.slice(11, 19)} ${entry.citizen_id || ""} ${entry.last_error || ""}` }));
    }
  }

  async function poll() {
    try {
      const response = await fetch("/api/state", { credentials: "same-origin" });
      render(await response.json());
    } catch (err) {
      $("server-status").textContent = String(err);
    }
    setTimeout(poll, 400);
  }

  function refreshCamera() {
    if (!$("station").hidden) {
      const img = $("camera");
      const next = new Image();
      next.onload = () => { img.src = next.src; setTimeout(refreshCamera, 250); };
      next.onerror = () => setTimeout(refreshCamera, 1000);
      next.src = "/camera.jpg?" + Date.now();
    } else {
      setTimeout(refreshCamera, 500);
    }
  }

  $("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    $("login-error").textContent = "";
    try {
      await post("/api/login", { username: $("username").value, password: $("password").value });
      $("password").value = "";
      document.activeElement.blur();  // the login form is hidden now: hand the keys to the station
    } catch (err) {
      $("login-error").textContent = err.message;
    }
  });

  $("keys-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await post("/api/keys", { text: $("keys-input").value });
      $("keys-input").value = "";
      $("keys-input").blur();
    } catch (err) {
      $("card-state").textContent = err.message;
    }
  });

  $("override-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    $("override-error").textContent = "";
    try {
      await post("/api/override", { reason: $("override-reason").value });
      $("override-reason").value = "";
      $("override-form").hidden = true;
    } catch (err) {
      $("override-error").textContent = err.message;
    }
  });

  document.addEventListener("keydown", (event) => {
    const typing = event.target instanceof HTMLInputElement;
    if (event.key === "Escape") {
      if (typing) event.target.blur();
      $("override-form").hidden = true;
      if (!$("station").hidden) post("/api/clear").catch(() => {});
      return;
    }
    if (typing || $("station").hidden) return;
    if (event.key === "/") {
      event.preventDefault();
      $("keys-input").focus();
    } else if ((event.key === "o" || event.key === "O") && overridable) {
      event.preventDefault();
      $("override-form").hidden = false;
      $("override-reason").focus();
    } else if (event.key === "l" || event.key === "L") {
      const next = document.documentElement.lang === "vi" ? "en" : "vi";
      document.cookie = "lang=" + next + "; path=/; SameSite=Strict";
      location.search = "?lang=" + next;
    }
  });

  for (const link of document.querySelectorAll("nav.langs a")) {
    link.addEventListener("click", () => {
      document.cookie = "lang=" + link.dataset.lang + "; path=/; SameSite=Strict";
    });
  }
  $("login-heading").textContent = t("Log in to the station");

  poll();
  refreshCamera();
}
