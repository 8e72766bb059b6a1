// The results page: export downloads with a progress bar, and key correction (preview every
// score change, then apply). Without this script the other sections still work.
"use strict";

(function () {
  const token = (document.querySelector("input[name=csrf_token]") || {}).value || "";

  // The appeal review prints as it stands (the layout's print styles hide the navigation).
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });

  // ---- Exports: the server builds and signs the package, then it downloads. The bar shows
  // "preparing" (indeterminate) until the first bytes, then the share downloaded.
  const status = document.getElementById("export-status");
  if (!status) { return; }
  const bar = document.getElementById("export-progress");
  const label = document.getElementById("export-label");

  function say(key) { label.textContent = label.getAttribute("data-" + key); }

  function filename(response, url) {
    const header = response.headers.get("Content-Disposition") || "";
    const found = /filename="?([^";]+)"?/.exec(header);
    return found ? found[1] : url.split("/").pop();
  }

  function wait(ms) { return new Promise(function (resolve) { window.setTimeout(resolve, ms); }); }

  async function failure(response) {
    let message = label.getAttribute("data-failed");
    try { message = (await response.json()).error.message || message; } catch { /* not JSON */ }
    return new Error(message);
  }

  // PDF packages of large sittings take minutes: the server builds them in the background and
  // the bar follows the job until its zip is ready, then downloads it like any other export.
  async function built(button) {
    const response = await fetch(button.getAttribute("data-job-url"), {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token, Accept: "application/json" },
      body: JSON.stringify({ format: button.getAttribute("data-format"), by: button.getAttribute("data-by") }),
    });
    if (!response.ok) { throw await failure(response); }
    let job = await response.json();
    const building = label.getAttribute("data-building");
    while (job.state === "queued" || job.state === "running") {
      bar.value = job.percent;
      label.textContent = building.replace("{percent}", String(job.percent));
      await wait(1000);
      const polled = await fetch(job.status_url, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!polled.ok) { throw await failure(polled); }
      job = await polled.json();
    }
    if (job.state !== "done") { throw new Error(job.message || label.getAttribute("data-failed")); }
    return job.download_url;
  }

  async function download(button) {
    let url = button.getAttribute("data-url");
    document.querySelectorAll("[data-export]").forEach(function (b) { b.disabled = true; });
    status.hidden = false;
    bar.removeAttribute("value");
    say("preparing");
    try {
      if (button.hasAttribute("data-job-url")) { url = await built(button); }
      const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/zip" } });
      if (!response.ok) { throw await failure(response); }
      const total = Number(response.headers.get("Content-Length")) || 0;
      const reader = response.body.getReader();
      const chunks = [];
      let received = 0;
      say("downloading");
      for (;;) {
        const { done, value } = await reader.read();
        if (done) { break; }
        chunks.push(value);
        received += value.length;
        if (total) { bar.value = Math.round((received / total) * 100); }
      }
      bar.value = 100;
      const blob = new Blob(chunks, { type: "application/zip" });
      const link = document.createElement("a");
      link.href = URL.createObjectURL(blob);
      link.download = filename(response, url);
      link.setAttribute("data-export-done", String(blob.size));
      document.body.appendChild(link);
      link.click();
      window.setTimeout(function () { URL.revokeObjectURL(link.href); link.remove(); }, 60000);
      say("done");
    } catch (err) {
      bar.value = 0;
      label.textContent = err.message || label.getAttribute("data-failed");
    } finally {
      document.querySelectorAll("[data-export]").forEach(function (b) { b.disabled = false; });
    }
  }

  document.querySelectorAll("[data-export]").forEach(function (button) {
    button.addEventListener("click", function () { download(button); });
  });

  // ---- Key correction.
  const form = document.getElementById("key-form");
  if (!form) { return; }
  const questions = {};
  JSON.parse(document.getElementById("key-questions").textContent).forEach(function (q) { questions[q.uid] = q; });
  const table = document.getElementById("key-preview");
  const apply = form.querySelector("[data-key-apply]");
  const errorBox = form.querySelector("[data-key-error]");
  const statusBox = form.querySelector("[data-key-status]");

  function score(value) {
    return value === null || value === undefined ? "—" : String(Math.round(value * 100) / 100).replace(".", ",");
  }

  function body() {
    const uid = form.elements.uid.value;
    const action = form.elements.action.value;
    const payload = { uid: uid, action: action, reason: form.elements.reason.value.trim() };
    if (action !== "void") {
      const question = JSON.parse(JSON.stringify(questions[uid] || {}));
      const index = form.elements.letter.value.trim().toUpperCase().charCodeAt(0) - 65;
      (question.options || []).forEach(function (option, i) { option.fraction = i === index ? 1.0 : 0.0; });
      payload.question = question;
    }
    return payload;
  }

  async function post(url, payload) {
    const response = await fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token, Accept: "application/json" },
      body: JSON.stringify(payload),
    });
    let data = {};
    try { data = await response.json(); } catch { data = {}; }
    if (!response.ok) { throw new Error((data.error && data.error.message) || String(response.status)); }
    return data;
  }

  function problem(err) {
    errorBox.textContent = err.message;
    errorBox.hidden = false;
  }

  form.querySelector("[data-key-preview]").addEventListener("click", async function () {
    errorBox.hidden = true;
    apply.disabled = true;
    try {
      const data = await post(form.getAttribute("data-preview"), body());
      const rows = table.querySelector("tbody");
      rows.replaceChildren();
      data.changes.forEach(function (c) {
        const tr = document.createElement("tr");
        [c.sbd, score(c.before) + " / " + score(c.max_before), score(c.after) + " / " + score(c.max_after)]
          .forEach(function (text, i) {
            const cell = document.createElement(i ? "td" : "th");
            if (i) { cell.className = "num"; } else { cell.scope = "row"; }
            cell.textContent = text;
            tr.appendChild(cell);
          });
        if (c.before !== c.after || c.max_before !== c.max_after) { tr.className = "changed"; }
        rows.appendChild(tr);
      });
      table.hidden = false;
      statusBox.textContent = form.getAttribute("data-changed").replace("{n}", data.changed);
      apply.disabled = false;
    } catch (err) { problem(err); }
  });

  apply.addEventListener("click", async function () {
    errorBox.hidden = true;
    try {
      const data = await post(form.getAttribute("data-apply"), body());
      statusBox.textContent = form.getAttribute("data-applied").replace("{n}", data.score_changes.length);
      apply.disabled = true;
    } catch (err) { problem(err); }
  });
})();
