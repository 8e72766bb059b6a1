// ESLint (flat config) for every script the pages load and for the unit tests (`npx eslint .`,
// run by scripts/test.sh). Recommended rules; browser globals for the pages, Node's for tests.
"use strict";

const js = require("@eslint/js");
const globals = require("globals");

module.exports = [
  { ignores: ["node_modules/**", ".venv/**", "build/**", "dist/**", "**/static/vendor/**", "benchmarks/out/**"] },
  js.configs.recommended,
  // `({ no, ...rest }) => rest` drops a field on purpose.
  { rules: { "no-unused-vars": ["error", { ignoreRestSiblings: true }] } },
  {
    // ES modules: the candidate page, the dashboards, the bank preview, the station, the shared lib.
    files: ["exam_server/static/**/*.js", "exam_common/static/**/*.js", "exam_client/**/static/**/*.js"],
    languageOptions: { ecmaVersion: 2024, sourceType: "module", globals: { ...globals.browser } },
  },
  {
    // Classic scripts of the staff pages (loaded with `defer`, no imports).
    files: ["exam_server/static/js/staff.js", "exam_server/static/js/end_dialog.js", "exam_server/static/js/results.js"],
    languageOptions: { sourceType: "script" },
  },
  {
    // Node's test runner, with jsdom's window installed as the global scope (tests/js/support.mjs).
    files: ["tests/js/**/*.mjs"],
    languageOptions: { ecmaVersion: 2024, sourceType: "module", globals: { ...globals.node, ...globals.browser } },
  },
  {
    files: ["eslint.config.js"],
    languageOptions: { sourceType: "commonjs", globals: { ...globals.node } },
  },
];
