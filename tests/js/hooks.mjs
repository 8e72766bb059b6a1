// Module resolution for the unit tests: the pages import the shared modules by their URL,
// `/static/common/<file>` (exam_common/assets.py serves exam_common/static/js there).
const COMMON = new URL("../../exam_common/static/js/", import.meta.url);
const PREFIX = "/static/common/";

export async function resolve(specifier, context, next) {
  if (specifier.startsWith(PREFIX)) {
    return { url: new URL(specifier.slice(PREFIX.length), COMMON).href, shortCircuit: true };
  }
  return next(specifier, context);
}
