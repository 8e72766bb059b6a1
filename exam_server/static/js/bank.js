// Question bank pages: the import's progress bar, and the preview of a question exactly as a
// candidate sees it (the candidate page's own renderer, render.js / render_blanks.js).
// The import form works without this script; it only adds the progress bar.

import { renderAnswer, richText } from "../candidate/render.js";
import { formatNumber, setCatalogue, t } from "/static/common/i18n.js";

function texts() {
  const node = document.getElementById("bank-texts");
  return node ? JSON.parse(node.textContent) : {};
}

/** Upload with a progress bar; the server's page (summary or every error) replaces the result. */
function enhanceImport(form) {
  const box = document.getElementById("import-progress");
  const bar = document.getElementById("import-bar");
  const stage = document.getElementById("import-stage");
  const percent = document.getElementById("import-percent");
  const words = texts();
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    box.hidden = false;
    bar.value = 0;
    stage.textContent = words.uploading;
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.upload.addEventListener("progress", (e) => {
      if (!e.lengthComputable) return;
      bar.value = Math.round((e.loaded / e.total) * 100);
      percent.textContent = `${bar.value} %`;
    });
    xhr.upload.addEventListener("load", () => {
      // Uploaded: the server now reads and checks the file (an indeterminate bar).
      stage.textContent = words.processing;
      bar.removeAttribute("value");
      percent.textContent = "";
    });
    xhr.addEventListener("load", () => {
      button.disabled = false;
      if (xhr.responseURL && new URL(xhr.responseURL).pathname === "/login") {
        window.location.assign(xhr.responseURL); // signed out meanwhile
        return;
      }
      const page = new DOMParser().parseFromString(xhr.responseText, "text/html");
      const fresh = page.getElementById("import-result");
      const current = document.getElementById("import-result");
      if (fresh && current) {
        current.replaceChildren(...[...fresh.childNodes].map((n) => document.importNode(n, true)));
      } else {
        // Not the import page (a file over the size limit, a rate limit): show the server's reason.
        stage.textContent = (page.querySelector("main")?.textContent || xhr.statusText).trim().slice(0, 300);
        box.dataset.done = "refused";
        return;
      }
      bar.value = 100;
      percent.textContent = "100 %";
      box.dataset.done = xhr.status < 400 ? "ok" : "refused";
      form.reset();
      current?.focus();
    });
    xhr.addEventListener("error", () => {
      button.disabled = false;
      stage.textContent = words.failed;
      box.dataset.done = "failed";
    });
    xhr.send(new FormData(form));
  });
  form.dataset.enhanced = "progress"; // the page now shows the upload's progress
}

/** The question as on the candidate page: heading, stem, answer area; nothing is saved. */
function renderPreview(config) {
  setCatalogue(config.messages, config.lang);
  const q = config.question;
  const box = document.getElementById("question");
  const heading = document.createElement("h2");
  heading.id = "q-heading";
  heading.textContent = `${t("Question {n}", { n: 1 })} (${t("{n} points", { n: formatNumber(q.points) })})`;
  const shown = document.getElementById("preview-response");
  box.append(heading, richText(q.stem, q.media));
  box.append(renderAnswer(q, 0, null, (value) => { shown.textContent = JSON.stringify(value); }));
}

const form = document.getElementById("import-form");
if (form) enhanceImport(form);
const preview = document.getElementById("preview-config");
if (preview) renderPreview(JSON.parse(preview.textContent));
