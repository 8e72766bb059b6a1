// The sitting page's blueprint form: add and remove section rows, fill the THPT 2025 template
// (Phần I nhiều lựa chọn, Phần II đúng/sai, Phần III trả lời ngắn) and show the paper's total.
// The form works without this script: the server reads the posted rows `section-<i>-…` as they
// are; the script only renumbers them so the indexes stay 0, 1, 2 … after a change.

import { formatNumber, setCatalogue, t } from "/static/common/i18n.js";

// THPT 2025 per subject: questions and points per question of each part (exam-domain.md).
// Part II's points are the question's maximum; the official table gives the fraction.
const THPT_2025 = Object.freeze({
  math: [
    { name: "Phần I", type: "single_choice", draw: 12, points: 0.25 },
    { name: "Phần II", type: "tf_cluster", draw: 4, points: 1, tf_table: true },
    { name: "Phần III", type: "short_answer4", draw: 6, points: 0.5 },
  ],
  science: [
    { name: "Phần I", type: "single_choice", draw: 18, points: 0.25 },
    { name: "Phần II", type: "tf_cluster", draw: 4, points: 1, tf_table: true },
    { name: "Phần III", type: "short_answer4", draw: 6, points: 0.25 },
  ],
});
const SCIENCE_SUBJECTS = ["vật lí", "vật lý", "hóa học", "hoá học", "sinh học", "physics", "chemistry", "biology"];
const INDEXED = /section-\d+-/g;

function rows(list) {
  return [...list.querySelectorAll("[data-section-row]")];
}

function input(row, field) {
  return row.querySelector(`[name$="-${field}"]`);
}

/** Indexes 0, 1, 2 … in every name, id and reference of the rows, and their headings. */
function renumber(list) {
  const all = rows(list);
  all.forEach((row, i) => {
    const prefix = `section-${i}-`;
    for (const node of row.querySelectorAll("[name], [id], [for], [aria-describedby]")) {
      for (const attr of ["name", "id", "for", "aria-describedby"]) {
        const value = node.getAttribute(attr);
        if (value) node.setAttribute(attr, value.replace(INDEXED, prefix));
      }
    }
    row.querySelector("legend").textContent = t("Section {n}", { n: i + 1 });
    input(row, "name").placeholder = `Phần ${i + 1}`;
    row.querySelector("[data-section-remove-box]").hidden = all.length < 2;
  });
}

/** A row's refusals belong to what was posted, not to a new or refilled row. */
function clearErrors(row) {
  for (const error of row.querySelectorAll(".field-error")) error.remove();
  for (const node of row.querySelectorAll("[aria-invalid]")) {
    node.removeAttribute("aria-invalid");
    const refs = (node.getAttribute("aria-describedby") || "").split(" ").filter((id) => id && !id.endsWith("-error"));
    if (refs.length) node.setAttribute("aria-describedby", refs.join(" "));
    else node.removeAttribute("aria-describedby");
  }
}

function showTableNote(row) {
  row.querySelector("[data-tf-note]").hidden = !(input(row, "tf_table").checked || input(row, "type").value === "tf_cluster");
}

function fill(row, values) {
  input(row, "name").value = values.name || "";
  input(row, "type").value = values.type || "";
  input(row, "draw").value = values.draw ?? "";
  input(row, "points").value = values.points == null ? "" : formatNumber(values.points);
  input(row, "shuffle_questions").checked = values.shuffle_questions ?? true;
  input(row, "shuffle_options").checked = values.shuffle_options ?? true;
  input(row, "shuffle_statements").checked = values.shuffle_statements ?? false;
  input(row, "tf_table").checked = values.tf_table ?? false;
  clearErrors(row);
  showTableNote(row);
}

function addRow(list, values = {}) {
  const last = rows(list).at(-1);
  const row = last.cloneNode(true);
  last.after(row);
  fill(row, values);
  renumber(list);
  return row;
}

function parsePoints(text) {
  const value = Number(String(text).trim().replace(",", "."));
  return text.trim() && Number.isFinite(value) ? value : null;
}

/** "12 questions, 10 points" once every row has a count and its points. */
function showTotal(list, out) {
  let questions = 0;
  let points = 0;
  let known = true;
  for (const row of rows(list)) {
    const draw = Number.parseInt(input(row, "draw").value, 10);
    const each = parsePoints(input(row, "points").value);
    if (!(draw > 0)) return void (out.textContent = "");
    questions += draw;
    if (each == null) known = false;
    else points += draw * each;
  }
  out.textContent = known
    ? t("Each paper: {questions} questions, {points} points.", { questions, points: formatNumber(Math.round(points * 1000) / 1000) })
    : t("Each paper: {questions} questions.", { questions });
}

function subjectOf(text) {
  const subject = (text || "").trim().toLowerCase();
  return SCIENCE_SUBJECTS.some((name) => subject.includes(name)) ? "science" : "math";
}

function enhance(box, config) {
  setCatalogue(config.messages, config.lang);
  const list = box.querySelector("#section-rows");
  const total = box.querySelector("#section-total");
  const template = box.querySelector("#section-template");
  const subject = template.querySelector("#f-template-subject");
  subject.value = subjectOf(template.dataset.sittingSubject);
  template.hidden = false;
  const add = box.querySelector("#section-add");
  box.querySelector("#section-add-box").hidden = false;
  add.addEventListener("click", () => {
    input(addRow(list), "name").focus();
    showTotal(list, total);
  });
  list.addEventListener("click", (event) => {
    const button = event.target.closest("[data-section-remove]");
    if (!button || rows(list).length < 2) return;
    button.closest("[data-section-row]").remove();
    renumber(list);
    showTotal(list, total);
    add.focus();
  });
  list.addEventListener("change", (event) => {
    const row = event.target.closest("[data-section-row]");
    if (row) showTableNote(row);
  });
  list.addEventListener("input", () => showTotal(list, total));
  template.querySelector("#section-template-thpt").addEventListener("click", () => {
    const parts = THPT_2025[subject.value] || THPT_2025.math;
    for (const extra of rows(list).slice(1)) extra.remove();
    fill(rows(list)[0], parts[0]);
    for (const part of parts.slice(1)) addRow(list, part);
    renumber(list);
    showTotal(list, total);
  });
  renumber(list);
  showTotal(list, total);
  box.dataset.enhanced = "sections";
}

const box = document.getElementById("generate-sections");
const config = document.getElementById("paper-form-config");
if (box && config) enhance(box, JSON.parse(config.textContent));
