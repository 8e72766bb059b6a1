// The station screen: polls /api/state, refreshes the camera picture, handles the keys.
"use strict";
(function () {
  const texts = JSON.parse(document.getElementById("texts").textContent);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const $ = (id) => document.getElementById(id);
  let lastResultId = null;
  let overridable = false;

  function t(key, params) {
    let text = texts[key] || key;
    for (const [name, value] of Object.entries(params || {})) {
      text = text.split("{" + name + "}").join(value);
    }
    return text;
  }

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

  function el(tag, text, attrs) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
    return node;
  }

  function reasonText(reason, result) {
    if (reason.code === "client.decision.other_room" && !reason.params.room && result.room) {
      return t(reason.code, { room: result.room });
    }
    return t(reason.code, reason.params || {});
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
      decision.textContent = t("client.decision.accepted", { seat: result.seat || "" });
      if (result.decision.override) {
        reasons.append(el("li", t("client.decision.override",
          { user: result.decision.override.by, reason: result.decision.override.reason })));
      }
    } else if (status === "queued") {
      decision.textContent = t("client.decision.queued");
    } else {
      decision.textContent = t("client.check.failed");
    }
    if (result.rejected) reasons.append(el("li", t("client.server.rejected", { detail: result.rejected })));
    const serverReasons = (result.server && result.server.reasons) || [];
    const shown = serverReasons.length ? serverReasons : (status === "accepted" ? [] : result.decision.reasons);
    for (const reason of shown) {
      // Our own catalogue first (the page's language); the server's text for codes we lack.
      const message = texts[reason.code] ? reasonText(reason, result) : (reason.message || reason.code);
      reasons.append(el("li", message, { "data-code": reason.code }));
    }
    $("seat").textContent = result.seat || "";
    $("login-code").textContent = result.login_code || "";
    if (result.face && result.face.distance !== undefined) {
      $("score").textContent = `${Math.round(result.face.score * 100)}% (d=${result.face.distance})`;
    } else if (result.face && result.face.problem) {
      $("score").textContent = t("client.face." + result.face.problem);
    }
    const holder = result.holder || {};
    for (const [name, value] of Object.entries(holder)) {
      $("holder").append(el("dt", name), el("dd", value));
    }
    const checks = (result.verification && result.verification.checks) || [];
    for (const check of checks) {
      const row = el("tr", null, { "data-status": check.status });
      row.append(el("th", check.name), el("td", t("client.check." + check.status)), el("td", check.detail || ""));
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
      const row = el("tr", null, { "data-status": c.status, "data-sbd": c.sbd });
      row.append(el("td", c.sbd), el("td", c.full_name), el("td", c.seat || ""),
        el("td", t("client.status." + c.status)));
      body.append(row);
    }
  }

  function render(state) {
    $("room-name").textContent = (state.room && state.room.name) || "";
    $("login").hidden = state.logged_in;
    $("station").hidden = !state.logged_in;
    if (!state.logged_in) return;
    $("invigilator").textContent = (state.invigilator && (state.invigilator.full_name || state.invigilator.username)) || "";
    $("server-status").textContent = state.server_online ? "● online" : "○ offline";
    $("server-status").className = state.server_online ? "ok" : "bad";
    $("queue-status").textContent = state.queue.length ? t("client.queue.pending", { count: state.queue.length }) : "";
    const card = state.card;
    const cardKey = { waiting: "client.card.waiting", reading: "client.card.reading", read: "client.card.read",
      needs_keys: "client.keys.missing", error: "client.card.error" }[card.state];
    $("card-state").textContent = t(cardKey) + (card.message && card.message.text ? ": " + card.message.text : "");
    $("card-state").dataset.state = card.state;
    $("qr-holder").textContent = state.qr ? `QR: ${state.qr.name} (${state.qr.id})` :
      (state.keys ? `${state.keys.source}: ${state.keys.expected_id || ""}` : "");
    $("liveness-hint").hidden = !state.liveness;
    $("liveness-hint").textContent = state.liveness ? t("client.liveness." + state.liveness) : "";
    overridable = state.overridable;
    renderResult(state.result);
    renderRoster(state.roster);
    const queue = $("queue");
    queue.replaceChildren();
    for (const entry of state.queue) {
      queue.append(el("li", `${entry.created_at.slice(11, 19)} ${entry.citizen_id || ""} ${entry.last_error || ""}`));
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
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);

  poll();
  refreshCamera();
})();
