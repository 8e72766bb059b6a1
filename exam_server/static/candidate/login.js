// Candidate login through the core's JSON API; on success, on to the exam page.
const config = JSON.parse(document.getElementById("login-config").textContent);
const t = (key) => config.messages[key] || key;
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
      window.location.assign(config.next);
      return;
    }
    errorBox.textContent = (data.error && data.error.message) || t("live.login.failed");
  } catch {
    errorBox.textContent = t("live.login.network");
  }
  errorBox.hidden = false;
  focusOnError.setAttribute("aria-invalid", "true");
  focusOnError.focus();
}

document.getElementById("code-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const code = document.getElementById("code");
  if (!code.value.trim()) return code.focus();
  login({ code: code.value.trim() }, code);
});

document.getElementById("password-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const sitting = document.getElementById("sitting");
  const sbd = document.getElementById("sbd");
  const password = document.getElementById("password");
  login({ sitting_id: Number(sitting.value), sbd: sbd.value.trim(), password: password.value }, password);
});
