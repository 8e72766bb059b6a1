// Page texts the gettext way: scripts are written with English source text, `t("Saved")`, and
// the page's language comes from the compiled `js` catalogue of the app that serves the page
// (`translations/<lang>/LC_MESSAGES/js.po`, handed to the page as JSON by the view).
//
// Parameters are braces, `t("Question {n}", { n: 3 })`, as in the Python and Jinja texts.
// Plurals: `tn("{n} minute left.", "{n} minutes left.", n)`; the catalogue holds every form of a
// plural entry as a list, chosen by the language's CLDR plural rule (Vietnamese has one form).
// A text missing from the catalogue shows its English source, never a key.
//
// Shared by the server's pages and the check-in station: both serve this file at
// /static/common/i18n.js (exam_common/assets.py).

let messages = {};
let language = "vi";
let rules = null;

/** Use `catalogue` (msgid -> text, or msgid -> [forms] for plurals) for language `lang`. */
export function setCatalogue(catalogue, lang = "vi") {
  messages = catalogue && typeof catalogue === "object" ? catalogue : {};
  language = lang || "vi";
  rules = null;
}

/** The catalogue from a `<script type="application/json">` element (no inline script runs under the CSP). */
export function loadCatalogue(elementId, lang) {
  const node = document.getElementById(elementId);
  const data = node ? JSON.parse(node.textContent) : {};
  setCatalogue(data, lang || document.documentElement.lang || "vi");
  return data;
}

export function currentLanguage() {
  return language;
}

/** `{name}` replaced by `params.name`; a brace without a parameter stays visible (a bug to see, not to hide). */
export function format(text, params = {}) {
  return String(text).replace(/\{(\w+)\}/g, (whole, name) => (params[name] ?? whole));
}

/** The translation of `msgid` with its parameters filled in. */
export function t(msgid, params = {}) {
  const text = messages[msgid];
  return format(typeof text === "string" && text ? text : msgid, params);
}

// gettext orders plural forms as CLDR lists the categories (one, two, few, many, other),
// restricted to those the language has.
const CATEGORY_ORDER = ["zero", "one", "two", "few", "many", "other"];

function pluralIndex(n) {
  if (!rules) {
    try {
      rules = new Intl.PluralRules(language === "en" ? "en-GB" : language);
    } catch {
      rules = new Intl.PluralRules("en-GB");
    }
  }
  const categories = CATEGORY_ORDER.filter((c) => rules.resolvedOptions().pluralCategories.includes(c));
  return Math.max(0, categories.indexOf(rules.select(n)));
}

/** The plural form of the entry (`singular`, `plural`) for count `n`; `{n}` is filled in too. */
export function tn(singular, plural, n, params = {}) {
  const forms = messages[singular];
  let text;
  if (Array.isArray(forms) && forms.length) text = forms[Math.min(pluralIndex(n), forms.length - 1)] || forms[0];
  if (!text) text = n === 1 ? singular : plural;
  return format(text, { n, ...params });
}

/** A number as the page's language writes it (decimal comma in Vietnamese). */
export function formatNumber(value, options = {}) {
  return Number(value).toLocaleString(language === "en" ? "en-GB" : "vi-VN", options);
}
