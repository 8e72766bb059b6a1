// A sitting's paper code previewed exactly as its candidates see it: every question through the
// candidate page's own renderer (render.js letters options by position, the code's letters),
// under the section headings the server wrote. Nothing is saved.

import { renderAnswer, richText } from "../candidate/render.js";
import { formatNumber, setCatalogue, t } from "/static/common/i18n.js";

function renderPaper(config) {
  setCatalogue(config.messages, config.lang);
  for (const box of document.querySelectorAll("article.paper-question")) {
    const i = Number(box.dataset.index);
    const q = config.questions[i];
    const heading = document.createElement("h3");
    heading.textContent = `${t("Question {n}", { n: i + 1 })} (${t("{n} points", { n: formatNumber(q.points) })})`;
    box.append(heading, richText(q.stem, q.media), renderAnswer(q, i, null, () => {}));
  }
  document.body.dataset.rendered = "yes"; // for tests and print: every question is in place
}

const node = document.getElementById("paper-config");
if (node) renderPaper(JSON.parse(node.textContent));
