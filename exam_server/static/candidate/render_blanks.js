// Inline blanks of cloze, gapselect and ddwtos questions (question_bank/model.py: the stem holds
// `{#N}` placeholders; the response is {"N": part}).
//
// `richText` (render.js) turns each placeholder of the stem into an empty slot; the controls built
// here are moved into those slots as soon as the answer area is in the page, so a candidate
// answers inside the sentence. Where no slot exists (a preview without the stem) they stay in a
// numbered list. ddwtos: choices are dragged from a tray into the gaps, and every gap is also a
// select box, the keyboard- and screen-reader-friendly way to the same answer.

import { cssEscape, el } from "/static/common/dom.js";
import { t } from "/static/common/i18n.js";

export { BLANK_TYPES } from "../js/lib/question_types.js";
const PLACEHOLDER = /(\{#[^\s{}]+\})/;

/** Append `line` to `node`, with an empty slot where a `{#N}` placeholder stands. */
export function appendWithSlots(node, line) {
  for (const part of line.split(PLACEHOLDER)) {
    if (!part) continue;
    const m = /^\{#([^\s{}]+)\}$/.exec(part);
    if (m) node.append(el("span", { class: "blank-slot", "data-blank": m[1] }));
    else node.append(document.createTextNode(part));
  }
}

function choiceSelect(id, label, options, selected, onChange) {
  const select = el("select", { id, class: "blank-select", "aria-label": label, onchange: (e) => onChange(e.target.value) },
    el("option", { value: "", text: t("— Choose —") }));
  for (const o of options) select.append(el("option", { value: o.id, text: o.text, selected: selected === o.id }));
  return select;
}

function clozeControl(q, b, name, current, update) {
  const id = `${name}-b${b.id}`;
  const label = t("Gap {n}", { n: b.id });
  const value = current[b.id];
  if (b.kind === "multichoice" && b.layout === "dropdown") {
    return choiceSelect(id, label, b.options, value, (v) => update(b.id, v || null));
  }
  if (b.kind === "multichoice" || b.kind === "multiresponse") {
    const type = b.kind === "multichoice" ? "radio" : "checkbox";
    const fs = el("fieldset", { class: `blank-choices ${b.layout}`, id }, el("legend", { class: "sr-only", text: label }));
    for (const o of b.options) {
      const oid = `${id}-${o.id}`;
      const checked = type === "radio" ? value === o.id : (value || []).includes(o.id);
      const input = el("input", { type, id: oid, name: id, value: o.id, checked, onchange: () => {
        if (type === "radio") update(b.id, o.id);
        else update(b.id, [...fs.querySelectorAll("input:checked")].map((x) => x.value));
      } });
      fs.append(el("span", { class: "blank-choice" }, input, el("label", { for: oid, text: o.text })));
    }
    return fs;
  }
  return el("input", {
    type: "text", id, class: "blank-text", size: "12", value: value ?? "", autocomplete: "off", spellcheck: "false",
    inputmode: b.kind === "numerical" ? "decimal" : null, "aria-label": label,
    oninput: (e) => update(b.id, e.target.value),
  });
}

function gapControl(q, b, name, current, update) {
  const id = `${name}-b${b.id}`;
  const offered = q.choices.filter((c) => c.group === b.group);
  const select = choiceSelect(id, t("Gap {n}", { n: b.id }), offered, current[b.id], (v) => update(b.id, v || null));
  if (q.type !== "ddwtos") return select;
  const zone = el("span", { class: "drop-zone", "data-gap": b.id, "data-group": String(b.group) }, select);
  zone.addEventListener("dragover", (e) => {
    e.preventDefault();
    zone.classList.add("over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("over");
    const choiceId = e.dataTransfer.getData("text/plain");
    if (offered.some((c) => c.id === choiceId)) update(b.id, choiceId);
  });
  return zone;
}

function tray(q) {
  const box = el("div", { class: "drag-tray", role: "group", "aria-label": t("Words to choose from") },
    el("p", { class: "hint", text: t("Drag a word into a gap, or pick it from the gap's list") }));
  for (const c of q.choices) {
    const chip = el("span", { class: `drag-choice group-${c.group}`, draggable: "true", "data-choice": c.id, text: c.text });
    chip.addEventListener("dragstart", (e) => e.dataTransfer.setData("text/plain", c.id));
    box.append(chip);
  }
  return box;
}

/** The answer area of a blank type; `emit` gets the whole {"N": part} response. */
export function renderBlanks(q, name, value, emit) {
  const current = { ...(value && typeof value === "object" ? value : {}) };
  const wrap = el("div", { class: `blanks ${q.type}` });
  const controls = {};
  const infinite = new Set((q.choices || []).filter((c) => c.infinite).map((c) => c.id));
  const sync = () => {
    for (const [id, control] of Object.entries(controls)) {
      const select = control.tagName === "SELECT" ? control : control.querySelector("select");
      if (select) select.value = current[id] ?? "";
    }
    for (const chip of wrap.querySelectorAll(".drag-choice")) {
      const used = Object.values(current).includes(chip.dataset.choice);
      chip.classList.toggle("used", used && !infinite.has(chip.dataset.choice));
    }
  };
  const update = (id, part) => {
    const empty = part === null || part === undefined || (typeof part === "string" && !part.trim())
      || (Array.isArray(part) && !part.length);
    if (q.type === "ddwtos" && part && !infinite.has(part)) {
      // A choice that is not "infinite" fills one gap: placing it again moves it here.
      for (const [other, used] of Object.entries(current)) if (other !== id && used === part) delete current[other];
    }
    if (empty) delete current[id];
    else current[id] = part;
    sync();
    emit({ ...current });
  };
  const list = el("ol", { class: "blank-list" });
  for (const b of q.blanks) {
    const control = q.type === "cloze" ? clozeControl(q, b, name, current, update) : gapControl(q, b, name, current, update);
    controls[b.id] = control;
    list.append(el("li", { "data-blank": b.id }, control));
  }
  if (q.type === "ddwtos") wrap.append(tray(q));
  wrap.append(list);
  sync();
  // Once the area is in the page, put each control into its slot in the stem shown above it.
  queueMicrotask(() => {
    const scope = wrap.parentElement;
    if (!scope) return;
    for (const [id, control] of Object.entries(controls)) {
      const slot = scope.querySelector(`.blank-slot[data-blank="${cssEscape(id)}"]`);
      if (slot) {
        slot.append(control);
        list.querySelector(`li[data-blank="${cssEscape(id)}"]`)?.remove();
      }
    }
    if (!list.children.length) list.remove();
  });
  return wrap;
}
