// Safe Exam Browser's JavaScript API (SEB 3.x on macOS/iOS sends no headers): the page reads
// the Config Key and Browser Exam Key hashes, which SEB computed for this page's URL, and
// sends them with the URL on connect and with every save.

export function collectSebKeys() {
  const security = window.SafeExamBrowser && window.SafeExamBrowser.security;
  if (!security) return null;
  const url = window.location.href.split("#")[0];
  return { url, keys: { configKey: security.configKey || "", browserExamKey: security.browserExamKey || "" } };
}

// GET requests carry no body: the keys travel as one header (the server checks the paper's GET
// and the HTTP submit against the sitting's current SEB policy).
export function sebHeaders(seb) {
  return seb ? { "X-SEB-Keys": JSON.stringify(seb) } : {};
}
