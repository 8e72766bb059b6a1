// The question types of the bank (question_bank/model.py, `QuestionType`) as the pages handle
// them: the one place in the JavaScript that knows them. A unit test compares this list with
// the Python one, so a type added to the bank fails there until the pages know it.
//
//   control   which answer area the renderer builds (render.js)
//   typed     answered by typing: the page sends after a short pause, not on every keystroke
//   blanks    the stem holds `{#N}` placeholders answered inline (render_blanks.js)
//   answered  false for a text without an answer (no grid cell, never "unanswered")

export const QUESTION_TYPES = Object.freeze({
  single_choice: { control: "one_choice" },
  multiple_response: { control: "many_choices" },
  true_false: { control: "true_false" },
  short_text: { control: "text", typed: true },
  numeric: { control: "text", typed: true, numeric: true },
  matching: { control: "pairs" },
  ordering: { control: "order" },
  essay: { control: "long_text", typed: true },
  tf_cluster: { control: "statements" },
  short_answer4: { control: "four_boxes", typed: true },
  description: { control: "none", answered: false },
  cloze: { control: "blanks", blanks: true },
  gapselect: { control: "blanks", blanks: true },
  ddwtos: { control: "blanks", blanks: true },
});

export const BLANK_TYPES = Object.keys(QUESTION_TYPES).filter((type) => QUESTION_TYPES[type].blanks);

function spec(type) {
  return QUESTION_TYPES[type] || { control: "unknown" };
}

/** The renderer's answer area for `type` ("unknown" for a type this page does not know). */
export const controlOf = (type) => spec(type).control;

/** Answered by typing (sent after a pause). */
export const isTyped = (type) => !!spec(type).typed;

/** A question with an answer (every type but a description). */
export const isAnswerable = (type) => spec(type).answered !== false;

/** Numbers are typed: the keyboard shows digits and the decimal comma. */
export const isNumeric = (type) => !!spec(type).numeric;
