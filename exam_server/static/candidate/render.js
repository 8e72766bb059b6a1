// Renders one question of the paper (the bank's public_dict) as accessible form controls and
// reports each change as the response shape documented in question_bank/model.py.

import DOMPurify from "../vendor/dompurify/purify.es.js";
import { el } from "/static/common/dom.js";
import { t, tn } from "/static/common/i18n.js";
import { controlOf, isNumeric } from "../js/lib/question_types.js";
import { appendWithSlots, renderBlanks } from "./render_blanks.js";

const SHORT4 = /^[0-9,-]$/;

// Moodle and QTI stems are HTML (<p>, <b>, <img>…): such text is sanitised by DOMPurify and
// shown as HTML; other text stays plain (escaped, line breaks kept).
const HTML_TAG = /<\/?(p|br|b|i|u|s|em|strong|img|span|div|sub|sup|table|thead|tbody|tr|td|th|ul|ol|li|font|h[1-6]|pre|code|blockquote|hr|a|small|big|tt|strike|center)\b[^>]*>/i;
const PURIFY = {
  FORBID_TAGS: ["style", "form", "input", "button", "textarea", "select", "option", "iframe", "dialog", "details", "template"],
  FORBID_ATTR: ["id", "name", "href", "target", "action", "formaction", "srcset", "tabindex", "autofocus"],
  RETURN_DOM_FRAGMENT: true,
};

function appendHtml(node, html, byName) {
  const marked = html.replace(/\{#([^\s{}<>"'&]+)\}/g, (_, id) => `<span class="blank-slot" data-blank="${id}"></span>`);
  const fragment = DOMPurify.sanitize(marked, PURIFY);
  for (const media of fragment.querySelectorAll("[src]")) {
    const src = media.getAttribute("src");
    const m = src.startsWith("@@MEDIA/") ? byName[src.slice(8)] : null;
    if (m) media.setAttribute("src", `data:${m.mime};base64,${m.data_b64}`);
    else if (!src.startsWith("data:")) media.removeAttribute("src"); // nothing loads from elsewhere
    if (media.tagName === "IMG") media.classList.add("media");
  }
  node.append(fragment);
}

/** Question text: escaped (or sanitised HTML); `@@MEDIA/name` becomes the carried file; LaTeX rendered by KaTeX. */
export function richText(text, media, tag = "div") {
  const node = el(tag, { class: "rich" });
  const byName = Object.fromEntries((media || []).map((m) => [m.name, m]));
  const parts = HTML_TAG.test(String(text || "")) ? [] : String(text || "").split(/(@@MEDIA\/[^\s"'<>)]+)/);
  if (!parts.length) appendHtml(node, String(text), byName);
  for (const part of parts) {
    const m = part.startsWith("@@MEDIA/") ? byName[part.slice(8)] : null;
    if (m && m.mime.startsWith("image/")) {
      node.append(el("img", { src: `data:${m.mime};base64,${m.data_b64}`, alt: m.name, class: "media" }));
    } else if (m && (m.mime.startsWith("audio/") || m.mime.startsWith("video/"))) {
      const kind = m.mime.startsWith("audio/") ? "audio" : "video";
      node.append(el(kind, { src: `data:${m.mime};base64,${m.data_b64}`, controls: true, class: "media" }));
    } else {
      part.split("\n").forEach((line, i) => {
        if (i) node.append(el("br"));
        appendWithSlots(node, line); // text, with a slot where a blank's `{#N}` stands
      });
    }
  }
  if (window.renderMathInElement) {
    window.renderMathInElement(node, {
      delimiters: [
        { left: "$$", right: "$$", display: true },
        { left: "\\[", right: "\\]", display: true },
        { left: "\\(", right: "\\)", display: false },
        { left: "$", right: "$", display: false },
      ],
      throwOnError: false,
    });
  }
  return node;
}

function choiceList(q, name, type, isChecked, onChange) {
  // Several answers may be right: say so, visibly and as the group's name.
  const multiple = type === "checkbox";
  const legend = multiple ? el("legend", { class: "choice-hint", text: t("Choose one or more answers") })
    : el("legend", { class: "sr-only", text: t("Choose an answer") });
  const fs = el("fieldset", { class: "choices" }, legend);
  // Lettered by position, A, B, C … in the order shown: the letter of this paper code that the
  // keys and reports use (question_bank/papers.py letter_map). The bank's id stays the value.
  q.options.forEach((o, k) => {
    const id = `${name}-${o.id}`;
    const input = el("input", { type, id, name, value: o.id, checked: isChecked(o.id), onchange: onChange });
    const letter = k < 26 ? String.fromCharCode(65 + k) : o.id;
    const label = el("label", { for: id }, el("span", { class: "opt-id", text: `${letter}.` }), richText(o.text, q.media, "span"));
    fs.append(el("div", { class: "choice" }, input, label));
  });
  return fs;
}

/** Build the answer area of `q` (index `i`); `emit(value)` is called on every change. */
export function renderAnswer(q, i, value, emit) {
  const name = `q${i}`;
  switch (controlOf(q.type)) {
    case "one_choice":
      return choiceList(q, name, "radio", (id) => value === id, (e) => emit(e.target.value));
    case "many_choices": {
      const box = choiceList(q, name, "checkbox", (id) => (value || []).includes(id), () => {
        emit([...box.querySelectorAll("input:checked")].map((x) => x.value));
      });
      return box;
    }
    case "true_false":
      return trueFalse(name, t("Is the statement true or false?"), value, emit);
    case "statements": {
      const wrap = el("div", { class: "tf-cluster" });
      const current = { ...(value || {}) };
      q.statements.forEach((s) => {
        const row = trueFalse(`${name}-${s.id}`, null, current[s.id], (v) => {
          current[s.id] = v;
          emit({ ...current });
        }, el("span", { class: "stmt" }, el("b", { text: `${s.id}) ` }), richText(s.text, q.media, "span")));
        wrap.append(row);
      });
      return wrap;
    }
    case "four_boxes":
      return shortAnswer4(name, value, emit);
    case "text": {
      const input = el("input", {
        type: "text", id: name, value: value ?? "", autocomplete: "off", spellcheck: "false",
        inputmode: isNumeric(q.type) ? "decimal" : null, "aria-label": t("Your answer"),
        oninput: (e) => emit(e.target.value),
      });
      return el("div", { class: "text-answer" }, el("label", { for: name, text: t("Your answer") }), input);
    }
    case "long_text": {
      // Not a live region: announcing every keystroke would drown the screen reader.
      const count = el("p", { class: "word-count", id: `${name}-words` });
      const recount = () => { const n = wordCount(area.value);
        count.textContent = tn("{n} word", "{n} words", n); };
      const area = el("textarea", { id: name, rows: "12", "aria-describedby": `${name}-words`,
        oninput: (e) => { recount(); emit(e.target.value); } });
      area.value = value ?? "";
      recount();
      return el("div", { class: "text-answer" }, el("label", { for: name, text: t("Your answer") }), area, count);
    }
    case "pairs":
      return matching(q, name, value, emit);
    case "order":
      return ordering(q, name, value, emit);
    case "blanks":
      return renderBlanks(q, name, value, emit);
    default:
      return el("p", { class: "note", text: t("No answer needed here.") });
  }
}

function trueFalse(name, legend, value, emit, legendNode = null) {
  const fs = el("fieldset", { class: "tf" }, el("legend", {}, legendNode || document.createTextNode(legend)));
  for (const [v, label] of [[true, t("True")], [false, t("False")]]) {
    const id = `${name}-${v}`;
    fs.append(el("span", { class: "tf-opt" },
      el("input", { type: "radio", id, name, value: String(v), checked: value === v, onchange: () => emit(v) }),
      el("label", { for: id, text: label })));
  }
  return fs;
}

function shortAnswer4(name, value, emit) {
  const chars = String(value || "").padEnd(4, " ").slice(0, 4).split("");
  const fs = el("fieldset", { class: "short4" }, el("legend", { text: t("Fill in the 4 boxes (digits, minus sign -, decimal comma ,)") }));
  const boxes = chars.map((c, k) => el("input", {
    type: "text", maxlength: "1", class: "box", value: c.trim(), id: `${name}-${k}`, autocomplete: "off",
    "aria-label": t("Box {n} of 4", { n: k + 1 }), inputmode: "decimal",
  }));
  const send = () => emit(boxes.map((b) => b.value || " ").join("").trimEnd());
  boxes.forEach((b, k) => {
    b.addEventListener("input", () => {
      const ch = b.value.slice(-1);
      b.value = SHORT4.test(ch) ? ch : "";
      send();
      if (b.value && k < 3) boxes[k + 1].focus();
    });
    b.addEventListener("keydown", (e) => {
      if (e.key === "Backspace" && !b.value && k > 0) boxes[k - 1].focus();
      if (e.key === "ArrowLeft" && k > 0) boxes[k - 1].focus();
      if (e.key === "ArrowRight" && k < 3) boxes[k + 1].focus();
    });
    fs.append(b);
  });
  return fs;
}

function matching(q, name, value, emit) {
  const current = { ...(value || {}) };
  const wrap = el("div", { class: "matching" });
  q.left.forEach((l) => {
    const id = `${name}-${l.id}`;
    const select = el("select", { id, onchange: (e) => {
      if (e.target.value) current[l.id] = e.target.value;
      else delete current[l.id];
      emit({ ...current });
    } }, el("option", { value: "", text: t("— Choose —") }));
    q.right.forEach((r) => select.append(el("option", { value: r.id, text: r.text, selected: current[l.id] === r.id })));
    wrap.append(el("div", { class: "pair" }, el("label", { for: id }, richText(l.text, q.media, "span")), select));
  });
  return wrap;
}

function ordering(q, name, value, emit) {
  const byId = Object.fromEntries(q.options.map((o) => [o.id, o]));
  let order = Array.isArray(value) && value.length ? value.filter((id) => byId[id]) : q.options.map((o) => o.id);
  const list = el("ol", { class: "ordering", "aria-label": t("Put the items in the right order") });
  const draw = (focusId, dir) => {
    list.replaceChildren();
    order.forEach((id, k) => {
      const up = el("button", { type: "button", "aria-label": t("Move item {item} up", { item: k + 1 }), disabled: k === 0, text: "↑", "data-dir": "up",
        onclick: () => move(k, -1, id, "up") });
      const down = el("button", { type: "button", "aria-label": t("Move item {item} down", { item: k + 1 }), disabled: k === order.length - 1,
        text: "↓", "data-dir": "down", onclick: () => move(k, 1, id, "down") });
      list.append(el("li", { "data-id": id }, richText(byId[id].text, q.media, "span"), up, down));
    });
    if (focusId) {
      const item = list.querySelector(`li[data-id="${focusId}"]`);
      const same = item?.querySelector(`button[data-dir="${dir}"]`);
      (same && !same.disabled ? same : item?.querySelector("button:not([disabled])"))?.focus();
    }
  };
  const move = (k, d, id, dir) => {
    const copy = [...order];
    [copy[k], copy[k + d]] = [copy[k + d], copy[k]];
    order = copy;
    emit([...order]);
    draw(id, dir);
  };
  draw();
  return list;
}

/** Words as a reader counts them: runs of letters or digits (Vietnamese syllables count one each). */
export function wordCount(text) {
  const words = String(text || "").match(/[\p{L}\p{N}][\p{L}\p{N}\p{M}'’-]*/gu);
  return words ? words.length : 0;
}

/** Whether a response counts as answered (for the grid and the review screen). */
export function isAnswered(q, value) {
  if (value === null || value === undefined) return false;
  if (typeof value === "string") return value.trim() !== "";
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === "object") return Object.keys(value).length > 0;
  return true;
}
