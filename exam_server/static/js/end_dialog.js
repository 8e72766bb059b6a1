// Ending a room or a sitting asks first: the server answers 409 with who is still writing and
// which rooms have not started; the dialog lists them and only its button sends the confirmation.
"use strict";

(function () {
  const form = document.querySelector("form[data-end-api]");
  const dialog = document.getElementById("end-dialog");
  if (!form || !dialog) {
    return;
  }
  const errorBox = form.querySelector("[data-end-error]");
  const token = form.querySelector("input[name=csrf_token]").value;

  async function send(confirm) {
    const reason = form.querySelector("input[name=reason]").value.trim();
    const payload = confirm ? { reason: reason, confirm: true } : { reason: reason, check: true };
    const response = await fetch(form.getAttribute("data-end-api"), {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token, Accept: "application/json" },
      body: JSON.stringify(payload),
    });
    let body = {};
    try { body = await response.json(); } catch { body = {}; }
    return { status: response.status, body: body };
  }

  function showError(message) {
    errorBox.textContent = message;
    errorBox.hidden = false;
  }

  function list(title, items) {
    const section = document.createElement("section");
    const heading = document.createElement("h3");
    heading.textContent = title;
    const ul = document.createElement("ul");
    ul.className = "end-list";
    items.forEach(function (text) {
      const li = document.createElement("li");
      li.textContent = text;
      ul.appendChild(li);
    });
    section.append(heading, ul);
    return section;
  }

  function fill(error) {
    dialog.querySelector("[data-end-summary]").textContent = error.message || "";
    const box = dialog.querySelector("[data-end-lists]");
    box.replaceChildren();
    const writing = error.writing || [];
    if (!writing.length && !(error.rooms_not_started || []).length) {
      dialog.querySelector("[data-end-summary]").textContent = dialog.getAttribute("data-nobody");
    }
    const rooms = error.rooms_not_started || [];
    if (writing.length) {
      box.appendChild(list(dialog.getAttribute("data-writing"), writing.map(function (c) {
        return c.sbd + " — " + c.full_name + " (" + c.room + (c.seat ? ", " + c.seat : "") + ")";
      })));
    }
    if (rooms.length) {
      box.appendChild(list(dialog.getAttribute("data-rooms"), rooms.map(function (r) { return r.name; })));
    }
  }

  function done() {
    window.location.assign(form.getAttribute("data-reload"));
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    errorBox.hidden = true;
    const result = await send(false);
    if (result.status === 409 && result.body.error && result.body.error.code === "exams.end_needs_confirm") {
      fill(result.body.error);
      dialog.showModal();
    } else if (result.status === 200) {
      fill(result.body);  // nobody writing: still asked, since ending cannot be undone
      dialog.showModal();
    } else {
      showError((result.body.error && result.body.error.message) || String(result.status));
    }
  });

  dialog.querySelector("[data-end-cancel]").addEventListener("click", function () { dialog.close(); });
  dialog.querySelector("[data-end-confirm]").addEventListener("click", async function () {
    if (form.hasAttribute("data-native-confirm")) {
      dialog.close();
      form.submit();  // the page's own form: it ends and shows the outcome
      return;
    }
    const result = await send(true);
    dialog.close();
    if (result.status === 200) {
      done();
    } else {
      showError((result.body.error && result.body.error.message) || String(result.status));
    }
  });
})();
