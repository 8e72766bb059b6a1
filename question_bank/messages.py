"""The question bank's texts: stable codes with parameters, English source text, gettext catalogues.

The question bank is a library: what it reports (an import error, a warning, a report note, a
blueprint problem) is a `Message` — a code such as `qb.docx.ole2_refused` with its parameters —
and the caller picks the language (`message.text("vi")`). Each code is declared once below with
its English source text; the Vietnamese lives in `translations/vi/LC_MESSAGES/messages.po`, where
the code is the entry's `msgctxt` (see `exam_common.i18n`). The server registers `DECLARATIONS`
in its own catalogue so it can show these codes in a request's language.

A new text: add `coded("qb.<area>.<name>", "English source text {param}")` below and use
`msg("qb.<area>.<name>", param=…)`; then `scripts/i18n.py update question_bank` adds it to both
catalogues, a translator fills the Vietnamese msgstr (Poedit: open the vi `.po`), and
`scripts/i18n.py compile` / `check` write and verify the `.mo`. Tests refuse a code used without
a declaration and a declaration without Vietnamese (tests/question_bank/test_messages.py).

A parameter may itself be a `Message` (a reason inside "blank 2: {reason}", a location inside a
sentence): it is translated in the same language. Floats are shown with the language's decimal
mark (`0,25` in Vietnamese).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from exam_common.i18n import DEFAULT_LANGUAGE, Catalogue, coded, format_decimal

CATALOGUE = Catalogue(Path(__file__).parent / "translations")
SOURCE_LANGUAGE = "en"


class Message:
    """A code with parameters, translated on demand; `str()` is the English text (for logs)."""

    __slots__ = ("code", "params")

    def __init__(self, code: str, params: Mapping[str, Any] | None = None) -> None:
        self.code = code
        self.params: dict[str, Any] = dict(params or {})

    def text(self, lang: str = DEFAULT_LANGUAGE) -> str:
        return text(self.code, lang, **self.params)

    def __str__(self) -> str:
        return self.text(SOURCE_LANGUAGE)

    def __repr__(self) -> str:
        return f"Message({self.code!r}, {self.params!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Message) and (self.code, self.params) == (other.code, other.params)

    def __hash__(self) -> int:
        return hash((self.code, tuple(sorted((k, repr(v)) for k, v in self.params.items()))))

    def to_dict(self, lang: str = DEFAULT_LANGUAGE) -> dict[str, Any]:
        """What an API returns: the code, plain parameters and the text in `lang`."""
        return {"code": self.code, "params": {k: _plain(v) for k, v in self.params.items()},
                "message": self.text(lang)}


def msg(code: str, /, **params: Any) -> Message:
    """A coded message (the code must be declared below; a test checks every use)."""
    return Message(code, params)


def text(code: str, lang: str = DEFAULT_LANGUAGE, /, **params: Any) -> str:
    """The text of `code` in `lang`, nested messages and numbers rendered in the same language."""
    return CATALOGUE.text(code, lang, **{k: _render(v, lang) for k, v in params.items()})


def render(value: Any, lang: str = DEFAULT_LANGUAGE) -> str:
    """A message, a location or a plain string in `lang` (what callers show)."""
    return str(_render(value, lang))


def _render(value: Any, lang: str) -> Any:
    if isinstance(value, Message):
        return value.text(lang)
    if isinstance(value, (list, tuple)):
        return "; ".join(str(_render(item, lang)) for item in value)
    if isinstance(value, float):
        return format_decimal(value, lang)
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, Message):
        return {"code": value.code, "params": {k: _plain(v) for k, v in value.params.items()}}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value if isinstance(value, (str, int, float, bool)) or value is None else str(value)


DECLARATIONS: tuple[tuple[str, str], ...] = (
    coded('qb.aiken.answer_first', 'ANSWER before any option'),
    coded('qb.aiken.answer_not_option', 'answer {letter!r} is not one of the options'),
    coded('qb.aiken.last_without_answer', 'the last question has no ANSWER: line (file truncated?)'),
    coded('qb.aiken.missing_answer', 'missing ANSWER: line after the options'),
    coded('qb.aiken.out_of_order', 'option {letter} out of order, expected {expected}'),
    coded('qb.analysis.attempt', '{file}: attempt {number}: {reason}'),
    coded('qb.analysis.candidate_item', 'candidate {candidate}, question {number}: {reason}'),
    coded('qb.analysis.choices_shape', 'the choices matrix must have shape {rows} × {columns}'),
    coded('qb.analysis.codes_length', '{given} paper codes given for {rows} candidates'),
    coded('qb.analysis.csv_bad_max', '{file}: line {line}, column {column}: invalid maximum points {value!r}'),
    coded('qb.analysis.csv_columns', '{file}: line {line}: {given} item columns, {count} needed'),
    coded('qb.analysis.csv_header', '{file}: a header row and at least one candidate are needed'),
    coded('qb.analysis.csv_no_candidates', '{file}: no candidate rows'),
    coded('qb.analysis.csv_not_number', '{file}: line {line}, column {column}: not a number of points {value!r}'),
    coded('qb.analysis.csv_over_max', '{file}: line {line}, column {column}: {value} exceeds the maximum {max}'),
    coded('qb.analysis.different_questions', 'paper {paper} does not hold the same questions as paper {first}'),
    coded('qb.analysis.expected_keys', 'the keys candidate, code, responses, graded are expected'),
    coded('qb.analysis.invalid_json', '{file}: invalid JSON: {detail}'),
    coded('qb.analysis.item_ids', '{count} item ids needed, got {given}'),
    coded('qb.analysis.max_points', 'the maximum points must be {count} positive numbers'),
    coded('qb.analysis.no_such_code', 'no paper code {paper!r} among the papers'),
    coded('qb.analysis.no_attempts', 'no attempts'),
    coded('qb.analysis.no_papers', 'no paper codes'),
    coded('qb.analysis.not_finite', 'scores must be finite numbers (NaN = omitted)'),
    coded('qb.analysis.not_list', '{file}: a list of attempts is needed'),
    coded('qb.analysis.shape', 'a candidates × items matrix is needed, got shape {shape}'),
    coded('qb.analysis.uids', 'paper {paper}: questions need distinct uids'),
    coded('qb.analysis.unknown_code', 'candidate {candidate}: unknown paper code {paper!r}'),
    coded('qb.blanks.blank_reason', 'blank {blank}: {reason}'),
    coded('qb.blanks.duplicate_choice_ids', 'duplicate choice ids'),
    coded('qb.blanks.duplicate_ids', 'duplicate blank ids'),
    coded('qb.blanks.gap_in_cloze', 'blank {blank}: a cloze question has no drag/select gaps'),
    coded('qb.blanks.key_not_choice', 'gap {blank}: the key is not one of the choices'),
    coded('qb.blanks.key_other_group', 'gap {blank}: the key is in group {key_group}, the gap in group {group}'),
    coded('qb.blanks.kind_not_allowed', 'gap {blank}: blanks of kind {kind} are not allowed in {type}'),
    coded('qb.blanks.missing_in_stem', '{placeholders} missing from the stem'),
    coded('qb.blanks.none', '{type} question without blanks'),
    coded('qb.blanks.stem_mismatch', "the stem's placeholders and the blanks disagree: {details}"),
    coded('qb.blanks.twice', '{placeholders} appear twice'),
    coded('qb.blanks.without_blank', '{placeholders} without a blank'),
    coded('qb.check.duplicate_option_ids', 'duplicate option ids'),
    coded('qb.check.empty_stem', 'empty stem'),
    coded('qb.check.fraction_range', "an option's fraction must lie in [-100%, 100%]"),
    coded('qb.check.media_base64', 'picture {name!r} is not valid base64'),
    coded('qb.check.media_name', 'invalid picture file name: {name!r}'),
    coded('qb.check.negative_points', 'negative points'),
    coded('qb.check.no_answer', 'no accepted answer'),
    coded('qb.check.no_correct_option', 'no correct option marked'),
    coded('qb.check.no_statements', 'true/false cluster without statements'),
    coded('qb.check.not_finite', 'points, fraction or tolerance is not a finite number'),
    coded('qb.check.numeric_answer', 'numeric answer is not a number: {value!r}'),
    coded('qb.check.short_answer4', 'a short answer key has at most 4 characters 0-9, minus sign, comma: {value!r}'),
    coded('qb.check.true_false_key', 'true/false key missing'),
    coded('qb.check.two_items', 'at least two items to order are needed'),
    coded('qb.check.two_options', 'at least two options are needed'),
    coded('qb.check.two_pairs', 'at least two pairs are needed'),
    coded('qb.cli.bad_json', '{file}: cannot read JSON: {detail}'),
    coded('qb.cli.bank_not_found', '{blueprint}: bank file {bank} not found'),
    coded('qb.cli.converted', '{source} -> {target}: questions: {count}'),
    coded('qb.cli.flag', 'item {item}: {flag}'),
    coded('qb.cli.generated', '{papers} paper codes, {items} questions each -> {out}'),
    coded('qb.cli.help.analyze', 'Item analysis of the file RESPONSES.'),
    coded('qb.cli.help.bank', "Question files (added to the blueprint's 'bank')."),
    coded('qb.cli.help.bins', 'Number of bins of the score histogram.'),
    coded('qb.cli.help.candidates', 'One paper per candidate: a file with one candidate id a line.'),
    coded('qb.cli.help.convert', 'Convert SOURCE to TARGET by extension (.json = bank JSON).'),
    coded('qb.cli.help.count', 'Number of paper codes.'),
    coded('qb.cli.help.generate', 'Generate paper codes from the blueprint BLUEPRINT (.toml/.json).'),
    coded('qb.cli.help.lang', 'Language of the output (default: from LANG, else Vietnamese).'),
    coded('qb.cli.help.main', 'Question bank: validate, convert, generate papers, item analysis.'),
    coded('qb.cli.help.out', 'Output file; by default printed on the screen.'),
    coded('qb.cli.help.out_dir', 'Output directory.'),
    coded('qb.cli.help.papers', 'Paper codes: papers from a blueprint.'),
    coded('qb.cli.help.papers_file', 'papers.json: RESPONSES are JSON attempts on these papers.'),
    coded('qb.cli.help.seed', "Random seed; by default the blueprint's."),
    coded('qb.cli.help.start', 'First paper code.'),
    coded('qb.cli.help.validate', 'Validate the question file FILE (nothing is written).'),
    coded('qb.cli.no_bank', "no question bank given: use --bank or the blueprint's 'bank' key"),
    coded('qb.cli.not_list', '{file}: a list of questions is needed'),
    coded('qb.cli.not_question', 'not a valid question: {detail}'),
    coded('qb.cli.not_utf8', '{file}: not UTF-8 text'),
    coded('qb.cli.note', 'note: {text}'),
    coded('qb.cli.summary', '{candidates} candidates × {items} items; mean {mean}/{max}, α = {alpha}'),
    coded('qb.cli.valid', '{file}: valid; questions: {count} ({detail})'),
    coded('qb.cli.warning', 'warning: {text}'),
    coded('qb.cloze.full_marks', 'one answer must be worth 100%'),
    coded('qb.cloze.negative_weight', 'negative weight'),
    coded('qb.cloze.no_answer', 'no answer given'),
    coded('qb.cloze.no_blanks', 'cloze question without embedded answers'),
    coded('qb.cloze.not_closed', 'blank {blank}: closing }} missing'),
    coded('qb.cloze.numeric_answer', 'a numerical answer must be a number or *: {value!r}'),
    coded('qb.cloze.two_choices', 'at least two choices are needed'),
    coded('qb.cloze.unknown_code', 'blank of unknown type {kind!r} kept as text, as Moodle does'),
    coded('qb.docx.equations_converted', '{converted}/{total} OMML equations converted to LaTeX'),
    coded('qb.docx.equations_partial', '{count} equations only partly converted, the rest kept as text'),
    coded('qb.docx.image_missing', 'picture {ref!r} referred to but missing from the file'),
    coded('qb.docx.images_carried', '{count} pictures carried over'),
    coded('qb.docx.key_not_option', 'key {key!r} names no option'),
    coded('qb.docx.legacy_converted', 'legacy-font runs converted to Unicode: {parts}'),
    coded('qb.docx.legacy_fonts', '{count} runs in {encoding} fonts ({fonts})'),
    coded('qb.docx.looks_like_question', "line {line!r} looks like the start of a question but lacks ':' or '.'; kept as part of this question"),
    coded('qb.docx.marking_differs', 'the marked options ({marked}) differ from the key ({key}); the key is used'),
    coded('qb.docx.no_body', 'the document has no body'),
    coded('qb.docx.no_correct', 'no correct option: none underlined, bold or red, and no answer key table'),
    coded('qb.docx.no_tf_key', 'the true statements are unknown: none marked and no key'),
    coded('qb.docx.not_docx', 'not a Word .docx document: word/document.xml is missing'),
    coded('qb.docx.old_doc', 'this is a Word 97-2003 file (.doc); save it again as .docx'),
    coded('qb.docx.ole_equations', '{count} MathType/OLE equations kept as images'),
    coded('qb.docx.options_not_found', 'options A. B. C. D. not found'),
    coded('qb.docx.points_2025', 'Points follow the 2025 structure: {part1} per question in PART I, {part2} in PART II, {part3} in PART III — adjust them for other subjects (Mathematics PART III: {math3})'),
    coded('qb.docx.short_without_key', 'short answer without a key ("Đáp án: …" or an answer key table)'),
    coded('qb.docx.statements_differ', 'the marked statements differ from the key; the key is used'),
    coded('qb.docx.statements_not_found', 'statements a) b) c) d) not found'),
    coded('qb.docx.tf_key_length', 'key {key!r} needs {count} letters Đ/S, one per statement'),
    coded('qb.docx.unknown_symbols', '{count} unknown Symbol-font characters replaced by �'),
    coded('qb.error', 'question bank error'),
    coded('qb.export.type_not_supported', '{format} does not support questions of type {type}'),
    coded('qb.file.cannot_open', 'cannot open the file: {detail}'),
    coded('qb.file.converted_encoding', 'text file converted from {encoding} to Unicode'),
    coded('qb.file.no_writer', 'no writer for this extension; supported: {supported}'),
    coded('qb.file.too_deep', 'nesting too deep (a hostile or broken file)'),
    coded('qb.file.too_large', 'file too large: {size} bytes (max {max})'),
    coded('qb.flag.distractor_beats_key', 'the upper group prefers a distractor to the key'),
    coded('qb.flag.low_discrimination', 'low discrimination'),
    coded('qb.flag.negative_discrimination', 'negative discrimination: possibly miskeyed'),
    coded('qb.flag.no_variance', 'every candidate has the same score: the item is of no use'),
    coded('qb.flag.non_functional_distractor', 'a distractor almost nobody chooses'),
    coded('qb.flag.too_easy', 'too easy'),
    coded('qb.flag.too_hard', 'too hard'),
    coded('qb.format_error', 'format error'),
    coded('qb.gift.bad_number', 'invalid numeric answer: {value!r}'),
    coded('qb.gift.bad_pair', 'a matching pair is written =left -> right: {pair!r}'),
    coded('qb.gift.bad_range', 'invalid numeric range: {value!r}'),
    coded('qb.gift.block_not_closed', 'answer block not closed: closing } missing'),
    coded('qb.gift.grading_default', 'default (RELATIVE)'),
    coded('qb.gift.grading_unsupported', "Moodle's grading type {grading} is not supported here: graded by absolute position"),
    coded('qb.gift.numeric_without_answers', 'numerical question without answers'),
    coded('qb.gift.one_answer', 'a short answer question needs at least one answer'),
    coded('qb.gift.random_subset', 'Moodle shows {count} random items; here all {total} items are shown'),
    coded('qb.gift.several_blocks', 'several answer blocks { }: GIFT allows one block per question; write a question with several blanks in Cloze syntax {1:SA:=…}'),
    coded('qb.gift.two_answers', 'a multiple choice question needs at least two answers'),
    coded('qb.gift.two_items', 'an ordering question needs at least two items, one a line'),
    coded('qb.gift.two_pairs', 'a matching question needs at least two pairs'),
    coded('qb.gift.unmatched_brace', 'unmatched closing brace }'),
    coded('qb.import.duplicate_stem', 'duplicate stem: same as {other}'),
    coded('qb.import.imported', 'questions imported: {count}'),
    coded('qb.import.no_questions', 'no questions found'),
    coded('qb.import.several_correct', 'single choice question with several correct options: {options}'),
    coded('qb.input.ambiguous_encoding', 'ambiguous legacy encoding: the file reads in several encodings ({names}); save the file as UTF-8'),
    coded('qb.input.bad_codec', 'not valid {codec} at byte {byte}; save the file as UTF-8'),
    coded('qb.input.binary', 'binary file, not text'),
    coded('qb.input.ole2_refused', 'Word 97-2003 / OLE2 file refused: an Office 97-2003 file (Word .doc, Excel .xls) cannot be read; open it in Word or Excel and save it as .docx or .xlsx.'),
    coded('qb.input.unknown_encoding', 'not valid UTF-8 at byte {byte}, and not recognisable as Windows-1258, TCVN3 or VNI; save the file as UTF-8'),
    coded('qb.invalid_value', 'invalid value: {detail}'),
    coded('qb.joined', '{items}'),
    coded('qb.moodle.bad_file', 'embedded file without a name or not base64-encoded'),
    coded('qb.moodle.bad_group', 'a choice group must be a positive integer: {group!r}'),
    coded('qb.moodle.choice_reused', 'a choice that cannot be reused is the answer of several gaps: nobody can get full marks'),
    coded('qb.moodle.full_marks', 'one answer must be worth 100%; the highest is {highest}'),
    coded('qb.moodle.gap_choice_empty', 'choice {number} of gap [[{number}]] is empty'),
    coded('qb.moodle.gap_without_choice', 'gap [[{number}]] refers to no choice ({count} choices)'),
    coded('qb.moodle.grade_not_allowed', 'grade not allowed by Moodle (not in its list of grades): {grades}'),
    coded('qb.moodle.no_gaps', 'no [[n]] gaps in the question text'),
    coded('qb.moodle.not_quiz', 'the root element must be <quiz>, found <{tag}> (not a Moodle XML file)'),
    coded('qb.moodle.old_image', '<image_base64> without an <image> name'),
    coded('qb.moodle.partial_total', "the correct options' grades add up to {total}; they must add up to 100%"),
    coded('qb.moodle.truefalse_key', 'a true/false question needs exactly one correct answer, true or false'),
    coded('qb.moodle.unsupported_type', 'unsupported Moodle question type: {type!r}'),
    coded('qb.paper.bad_code', "paper codes hold letters, digits, '-' and '_' only (at most 64 characters): {codes}"),
    coded('qb.paper.bad_codes', '{where}: codes: {reason}'),
    coded('qb.paper.bad_draw', "{where}: 'draw' must be an integer ≥ 1"),
    coded('qb.paper.bad_points', "{where}: 'points' must be positive"),
    coded('qb.paper.bad_table', "{where}: 'table' must map a count of correct statements to a fraction"),
    coded('qb.paper.codes_overflow', '{count} paper codes do not fit in {width} digits from {start}'),
    coded('qb.paper.count_positive', 'the number of paper codes must be ≥ 1'),
    coded('qb.paper.duplicate_codes', 'duplicate paper codes'),
    coded('qb.paper.letters_mismatch', 'paper {code}, question {number}: "letters" does not match the order of its options'),
    coded('qb.paper.no_codes', 'no paper codes given'),
    coded('qb.paper.no_sections', "{where}: at least one section is needed in 'sections'"),
    coded('qb.paper.not_object', '{where}: the blueprint must be a table'),
    coded('qb.paper.not_table', '{where}: must be a table'),
    coded('qb.paper.pool_too_small', "section '{section}': needs {draw} questions but the bank has only {available} that fit"),
    coded('qb.paper.pool_too_small_shared', "section '{section}': needs {draw} questions but the bank has only {available} that fit, {shared} of which other sections may draw"),
    coded('qb.paper.repeats', 'The blueprint allows about {capacity} distinct papers, so {count} distinct papers cannot be made; repeated papers: {repeats}.'),
    coded('qb.paper.start_digits', 'the first paper code must be digits: {start!r}'),
    coded('qb.paper.too_many_options', 'a question has {count} options; at most {max} can be lettered'),
    coded('qb.paper.unknown_keys', '{where}: unknown keys: {keys}'),
    coded('qb.paper.unknown_types', '{where}: unknown question types: {types}'),
    coded('qb.paper.unreadable', '{where}: cannot read the blueprint: {detail}'),
    coded('qb.paper.wrong_type', "{where}: '{name}' has the wrong type, expected {expected}"),
    coded('qb.percent', '{value}%'),
    coded('qb.print.font_missing', 'font {path} missing: install the fonts-dejavu-core package (scripts/setup.sh)'),
    coded('qb.qti.bad_attributes', 'attributes not allowed by the QTI schema on responseDeclaration: {names}'),
    coded('qb.qti.bad_order', 'the correct order does not list every item once'),
    coded('qb.qti.cloze_interaction', 'interaction not supported in a cloze item: {names}'),
    coded('qb.qti.declaration_missing', 'responseDeclaration missing for the interaction'),
    coded('qb.qti.declaration_missing_for', 'responseDeclaration missing for {name!r}'),
    coded('qb.qti.file_missing', 'listed file {href!r} missing from the package'),
    coded('qb.qti.gap_key_not_choice', 'gap {blank}: the correct response is not one of its choices'),
    coded('qb.qti.gap_match_alone', "gapMatchInteraction must be the item's only interaction"),
    coded('qb.qti.gap_match_declaration', 'responseDeclaration missing for gapMatchInteraction'),
    coded('qb.qti.gap_without_text', 'gap {blank} ({gap}) has no correct gapText'),
    coded('qb.qti.item_missing', 'the item file listed in the manifest is missing from the package'),
    coded('qb.qti.no_body', 'itemBody missing'),
    coded('qb.qti.no_gaps', 'gapMatchInteraction without <gap>'),
    coded('qb.qti.no_manifest', 'imsmanifest.xml missing: not an IMS content package'),
    coded('qb.qti.not_item', 'the root element must be assessmentItem, found {tag} (neither a QTI 2.1 nor a QTI 3.0 item)'),
    coded('qb.qti.numeric_blank', 'gap {blank}: numeric blank without an answer'),
    coded('qb.qti.one_numeric_answer', 'QTI holds one numeric answer only'),
    coded('qb.qti.one_verdict', 'every true/false statement needs exactly one answer'),
    coded('qb.qti.several_interactions', 'several interactions in one item are not supported'),
    coded('qb.qti.two_match_sets', 'matchInteraction needs exactly two simpleMatchSet'),
    coded('qb.qti.unknown_namespace', 'unknown QTI version: namespace {namespace!r}'),
    coded('qb.qti.unknown_pair', 'directed pair {value!r} refers to unknown choices'),
    coded('qb.qti.unsupported_interaction', 'interaction not supported by the question bank: {names}'),
    coded('qb.response.bad_number', 'invalid number'),
    coded('qb.response.blank_bad_number', 'blank {blank}: invalid number'),
    coded('qb.response.blank_choice_list', 'a list of choices is needed'),
    coded('qb.response.blank_other_group', "blank {blank}: the choice is not in the blank's group"),
    coded('qb.response.blank_text', 'blank {blank}: the answer must be text'),
    coded('qb.response.blank_too_long', 'blank {blank}: the answer is longer than {max} characters'),
    coded('qb.response.blank_unknown_choice', 'blank {blank}: choice not in the question'),
    coded('qb.response.blanks_table', 'a fill-in question needs a table of blank number -> answer'),
    coded('qb.response.choice_reused', 'choice {choice!r} can be dragged into one blank only (already used in blank {used})'),
    coded('qb.response.description', 'a description takes no answer'),
    coded('qb.response.ids_not_text', 'every {what} must be an id (text)'),
    coded('qb.response.ids_repeated', '{what} repeated'),
    coded('qb.response.ids_unknown', '{what} not in the question: {ids}'),
    coded('qb.response.matching', 'a matching question needs a table of left id -> right id'),
    coded('qb.response.option_list', 'the answer must be a list of option ids'),
    coded('qb.response.short_answer_chars', 'characters not allowed: {chars} (digits, minus sign and comma only)'),
    coded('qb.response.short_answer_length', 'a short answer has at most {max} characters'),
    coded('qb.response.short_answer_text', 'a short answer must be text'),
    coded('qb.response.single_choice', 'a single choice question needs one option id (text)'),
    coded('qb.response.text', 'the answer must be text'),
    coded('qb.response.tf_cluster', 'a true/false cluster needs a table of statement id -> true/false'),
    coded('qb.response.tf_verdict', 'every statement must be judged true or false'),
    coded('qb.response.too_long', 'the answer is longer than {max} characters'),
    coded('qb.response.true_false', 'a true/false question needs true or false'),
    coded('qb.response.unknown_blanks', 'blanks not in the question: {blanks}'),
    coded('qb.response.unknown_option', 'option {option!r} is not in the question'),
    coded('qb.response.unknown_right', 'right-hand item not in the question'),
    coded('qb.response.unknown_type', 'unknown question type {type!r}'),
    coded('qb.response.what.choice', 'choice'),
    coded('qb.response.what.left_item', 'left-hand item'),
    coded('qb.response.what.option', 'option'),
    coded('qb.response.what.statement', 'statement'),
    coded('qb.where.cell', 'row {row}, column {column}'),
    coded('qb.where.images', 'images'),
    coded('qb.where.line', 'line {line}'),
    coded('qb.where.line_column', 'line {line}, column {column}'),
    coded('qb.where.moodle_question', 'question {number}'),
    coded('qb.where.moodle_question_titled', 'question {number} «{title}»'),
    coded('qb.where.question', 'question {number}'),
    coded('qb.where.question_line', 'question {number} (line {line})'),
    coded('qb.where.question_titled', 'question {number} ({title})'),
    coded('qb.where.row', 'row {row}'),
    coded('qb.xlsx.bad_criterion', "cell {letter}: a rubric criterion reads 'id | points | description'"),
    coded('qb.xlsx.bad_pair', "cell {letter} must read 'left => right'"),
    coded('qb.xlsx.bad_true_false', 'invalid true/false key: {key!r} (expected Đúng or Sai)'),
    coded('qb.xlsx.dtd_refused', 'XML refused: DTD or entities are not allowed'),
    coded('qb.xlsx.empty_sheet', 'the first sheet is empty'),
    coded('qb.xlsx.key_not_option', 'key {letter!r} names no option'),
    coded('qb.xlsx.media_count', 'the Ảnh column names {names} pictures but the row holds {pictures}'),
    coded('qb.xlsx.missing_column', 'column {column} ({key}) missing'),
    coded('qb.xlsx.no_options', 'questions of type {type} take no options'),
    coded('qb.xlsx.not_a_number', '{what} is not a number: {value!r}'),
    coded('qb.xlsx.option_gap', 'option cell {letter} is empty between options'),
    coded('qb.xlsx.picture_type', 'Excel holds PNG/JPEG/GIF pictures only, not {name!r}; use Moodle XML or QTI'),
    coded('qb.xlsx.pictures_appended', 'row {row}: {count} pictures pasted in the row were appended to the stem'),
    coded('qb.xlsx.tf_key_length', 'key {key!r} needs {count} letters Đ/S, one per statement'),
    coded('qb.xlsx.too_many_options', 'at most {max} options'),
    coded('qb.xlsx.type_not_supported', 'Excel cannot hold questions of type {type}; use Moodle XML'),
    coded('qb.xlsx.unknown_column', 'unknown column heading: {heading!r}'),
    coded('qb.xlsx.unknown_type', 'unknown question type: {type!r} (one of {types})'),
    coded('qb.xlsx.unreadable', 'unreadable workbook: {detail}'),
    coded('qb.xlsx.what.criterion_points', "the criterion's points"),
    coded('qb.xlsx.what.fraction', 'the fraction'),
    coded('qb.xlsx.what.points', 'the points'),
    coded('qb.xlsx.what.tolerance', 'the tolerance'),
    coded('qb.xml.dtd_refused', 'XML refused: DTD or entities are not allowed ({kind})'),
    coded('qb.xml.malformed', 'malformed or truncated XML: {detail}'),
    coded('qb.zip.invalid', 'not a valid zip archive, or a truncated one'),
    coded('qb.zip.member_corrupt', 'corrupt or truncated member: {detail}'),
    coded('qb.zip.member_missing', 'member missing from the package'),
    coded('qb.zip.member_too_large', 'member too large when unpacked: {size} bytes'),
    coded('qb.zip.path_traversal', 'dangerous path in the package (path traversal refused)'),
    coded('qb.zip.ratio', 'compression ratio too high: zip bomb refused'),
    coded('qb.zip.size_lies', 'actual size exceeds the declared size (zip bomb refused)'),
    coded('qb.zip.too_many_members', 'too many members in the package: {count} (max {max})'),
    coded('qb.zip.total_too_large', 'total unpacked size too large: {size} bytes (zip bomb refused)'),
)

CATALOGUE.register(*DECLARATIONS)
