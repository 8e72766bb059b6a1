// Inline blanks of cloze, gapselect and ddwtos questions (question_bank/model.py: the stem holds
// `{#N}` placeholders; the response is {"N": part}).
//
// `richText` (render.js) turns each placeholder of the stem into an empty slot; the controls built
// here are moved into those slots as soon as the answer area is in the page, so a candidate
// answers inside the sentence. Where no slot exists (a preview without the stem) they stay in a
// numbered list. ddwtos: choices are dragged from a tray into the gaps, and every gap is also a
// select box, the keyboard- and screen-reader-friendly way to the same answer.

export const BLANK_TYPES = ["cloze", "gapselect", "ddwtos"];
const PLACEHOLDER = /(\{#[^\s{}]+\})/;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) if (c) node.append(c);
  return node;
}

/** Append `line` to `node`, with an empty slot where a `{#N}` placeholder stands. */
export function appendWithSlots(node, line) {
  for (const part of line.split(PLACEHOLDER)) {
    if (!part) continue;
    const m = /^\{#([^\s{}]+)\}$/.exec(part);
    if (m) node.append(el("span", { class: "blank-slot", "data-blank": m[1] }));
    else node.append(document.createTextNode(part));
  }
}

function choiceSelect(id, label, options, selected, onChange, t) {
  const select = el("select", { id, class: "blank-select", "aria-label": label, onchange: (e) => onChange(e.target.value) },
    el("option", { value: "", text: t("live.pick") }));
  for (const o of options) select.append(el("option", { value: o.id, text: o.text, selected: selected === o.id }));
  return select;
}

function clozeControl(q, b, name, current, update, t) {
  const id = `${name}-b${b.id}`;
  const label = t("live.blank_n", { n: b.id });
  const value = current[b.id];
  if (b.kind === "multichoice" && b.layout === "dropdown") {
    return choiceSelect(id, label, b.options, value, (v) => update(b.id, v || null), t);
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

function gapControl(q, b, name, current, update, t) {
  const id = `${name}-b${b.id}`;
  const offered = q.choices.filter((c) => c.group === b.group);
  const select = choiceSelect(id, t("live.blank_n", { n: b.id }), offered, current[b.id], (v) => update(b.id, v || null), t);
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

function tray(q, t) {
  const box = el("div", { class: "drag-tray", role: "group", "aria-label": t("live.choices") },
    el("p", { class: "hint", text: t("live.drag_hint") }));
  for (const c of q.choices) {
    const chip = el("span", { class: `drag-choice group-${c.group}`, draggable: "true", "data-choice": c.id, text: c.text });
    chip.addEventListener("dragstart", (e) => e.dataTransfer.setData("text/plain", c.id));
    box.append(chip);
  }
  return box;
}

/** The answer area of a blank type; `emit` gets the whole {"N": part} response. */
export function renderBlanks(q, name, value, emit, t) {
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
    const control = q.type === "cloze" ? clozeControl(q, b, name, current, update, t) : gapControl(q, b, name, current, update, t);
    controls[b.id] = control;
    list.append(el("li", { "data-blank": b.id }, control));
  }
  if (q.type === "ddwtos") wrap.append(tray(q, t));
  wrap.append(list);
  sync();
  // Once the area is in the page, put each control into its slot in the stem shown above it.
  queueMicrotask(() => {
    const scope = wrap.parentElement;
    if (!scope) return;
    for (const [id, control] of Object.entries(controls)) {
      const slot = scope.querySelector(`.blank-slot[data-blank="${CSS.escape(id)}"]`);
      if (slot) {
        slot.append(control);
        list.querySelector(`li[data-blank="${CSS.escape(id)}"]`)?.remove();
      }
    }
    if (!list.children.length) list.remove();
  });
  return wrap;
}
