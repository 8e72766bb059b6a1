// Candidate login through the core's JSON API; on success, on to the exam page.
import { newNonce } from "./journal.js";
import { jsonData } from "/static/common/dom.js";
import { setCatalogue, t } from "/static/common/i18n.js";

const config = jsonData("login-config");
setCatalogue(config.messages, config.lang);
const errorBox = document.getElementById("login-error");

async function login(body, focusOnError) {
  errorBox.hidden = true;
  try {
    const res = await fetch(config.api, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": config.csrf_token },
      body: JSON.stringify(body),
    });
    const data = await res.json().catch(() => ({}));
    if (res.ok) {
      // A new login: the exam page keys its journal by it, so changes left unsent by an earlier
      // login on this browser are never replayed over newer answers.
      window.localStorage.setItem("exam-login", newNonce());
      window.location.assign(config.next);
      return;
    }
    errorBox.textContent = (data.error && data.error.message) || t("Login failed.");
    if (data.error && /^accounts\.code_(seat_required|wrong_seat)$/.test(data.error.code)) focusOnError = seatField;
  } catch {
    errorBox.textContent = t("Cannot reach the server. Check the network and try again.");
  }
  errorBox.hidden = false;
  focusOnError.setAttribute("aria-invalid", "true");
  focusOnError.focus();
}

// The workstation's seat: from the launcher URL (?seat=M07), else the one this browser used last.
const seatField = document.getElementById("seat");
const SEAT_KEY = "exam.workstation_seat";
try {
  if (seatField.value.trim()) localStorage.setItem(SEAT_KEY, seatField.value.trim());
  else seatField.value = localStorage.getItem(SEAT_KEY) || "";
} catch { /* storage disabled: the seat is typed */ }

document.getElementById("code-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const code = document.getElementById("code");
  if (!code.value.trim()) return code.focus();
  const seat = seatField.value.trim();
  const body = { code: code.value.trim() };
  if (seat) {
    body.seat = seat;
    try { localStorage.setItem(SEAT_KEY, seat); } catch { /* ignored */ }
  }
  login(body, code);
});

document.getElementById("password-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const sitting = document.getElementById("sitting");
  const sbd = document.getElementById("sbd");
  const password = document.getElementById("password");
  login({ sitting_id: Number(sitting.value), sbd: sbd.value.trim(), password: password.value }, password);
});
