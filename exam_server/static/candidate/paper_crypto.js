// Papers before the start: the page keeps its paper sealed (AES-256-GCM) from login on, and
// opens it with the key that arrives in the state pushed at the start, so pressing "start"
// does not make every page download its paper at the same moment.
//
// Where the sealed paper is kept: in memory and in sessionStorage (this tab only, gone when
// the tab closes, which is right for a shared school computer; it survives a reload before the
// start). It is useless without the key, which the server sends only once the attempt started.
// A paper too big for sessionStorage stays in memory only: after a reload the page then asks
// for it again (sealed before the start, the paper itself after).
//
// The parameters match the server's (exam_server/exams/paper_crypto.py): a 256-bit key, a
// 96-bit nonce, a 128-bit tag, and associated data binding the format version, the sitting and
// the paper code, built from the key message (so a ciphertext of another code never opens).

const PREFIX = "exam-sealed-paper:";
const FORMAT = 1;

function bytes(b64) {
  const text = atob(b64);
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

/** The associated data, byte for byte as the server builds it (compact JSON, UTF-8). */
export function associatedData(version, sitting, code) {
  return new TextEncoder().encode(JSON.stringify(["exam-paper", version, sitting, code]));
}

/** WebCrypto exists only in a secure context (HTTPS, or localhost); without it the page
 *  fetches its paper at the start (jittered), as before. */
export function cryptoAvailable() {
  return !!(window.isSecureContext && window.crypto && window.crypto.subtle);
}

/** A random delay within [0, windowMs): pages that must ask for their paper do not all ask at once. */
export function jitterMs(windowMs) {
  return Math.floor(Math.random() * Math.max(0, Number(windowMs) || 0));
}

function wellFormed(sealed) {
  return !!sealed && sealed.v === FORMAT && typeof sealed.id === "string" && typeof sealed.nonce === "string"
    && typeof sealed.ct === "string" && typeof sealed.code === "string" && Number.isInteger(sealed.sitting)
    && Number.isInteger(sealed.rev);
}

export class PaperVault {
  constructor(attempt, storage = window.sessionStorage) {
    this.storageKey = PREFIX + attempt;
    this.storage = storage;
    this.sealed = null;
    this.usable = cryptoAvailable();
    try {
      const stored = JSON.parse(storage.getItem(this.storageKey) || "null");
      if (wellFormed(stored)) this.sealed = stored;
    } catch {
      this.sealed = null; // unreadable: the server sends it again
    }
  }

  /** The id of the sealed paper held (sent with `hello` so the server does not send it again). */
  id() {
    return this.usable && this.sealed ? this.sealed.id : null;
  }

  store(sealed) {
    if (!this.usable || !wellFormed(sealed)) return false;
    this.sealed = sealed;
    try {
      this.storage.setItem(this.storageKey, JSON.stringify(sealed));
    } catch {
      // quota: kept in memory for this page's life only
    }
    return true;
  }

  clear() {
    this.sealed = null;
    try {
      this.storage.removeItem(this.storageKey);
    } catch {
      // storage unavailable: nothing kept there either
    }
  }

  /** Whether `paperKey` (from a state) opens the paper held: same sitting, code and revision. */
  matches(paperKey) {
    const s = this.sealed;
    return !!(this.usable && s && paperKey && paperKey.v === s.v && paperKey.sitting === s.sitting
      && paperKey.code === s.code && paperKey.rev === s.rev);
  }

  /** The questions (the same list the server sends unsealed), or null when the key is for
   *  another copy than the one held. A ciphertext that fails authentication throws. */
  async open(paperKey) {
    if (!this.matches(paperKey)) return null;
    const s = this.sealed;
    const key = await window.crypto.subtle.importKey("raw", bytes(paperKey.key), { name: "AES-GCM" }, false, ["decrypt"]);
    const plain = await window.crypto.subtle.decrypt(
      { name: "AES-GCM", iv: bytes(s.nonce), additionalData: associatedData(paperKey.v, paperKey.sitting, paperKey.code), tagLength: 128 },
      key, bytes(s.ct));
    const paper = JSON.parse(new TextDecoder().decode(plain));
    if (!Array.isArray(paper)) throw new Error("the sealed paper is not a list of questions");
    return paper;
  }
}
