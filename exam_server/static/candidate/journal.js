// The numbered journal of unacknowledged changes, kept in localStorage, shared by every tab.
//
// Every change gets the next sequence number of the attempt and is written here *before* it
// is sent; it leaves the journal only when the server acknowledged it (saved, or superseded
// by a higher sequence, or told us it holds another value). After a reload, a crash or minutes
// offline, whatever is still here is replayed; the server ignores sequence numbers it already has.
//
// Several tabs of one attempt share it safely:
// - ONE sequence counter per attempt, handed out in an IndexedDB read-write transaction (the
//   browser runs those one at a time across tabs and processes), so no number is ever handed
//   out twice; where IndexedDB is missing, a read-increment-write of localStorage under a Web
//   Lock (`navigator.locks`) takes its place. It is seeded above the server's highest stored seq.
// - one localStorage key per entry (`…:e:<seq>`), so no tab ever rewrites another tab's entries;
//   what the server holds per question (`…:held:<q>`) is written by whichever tab got the ack.
//   Other tabs learn of every change through the `storage` event and show the same thing.
// - the journal is keyed by attempt AND login (a nonce written at each login on this browser):
//   a new login never replays an older login's changes over newer answers.

const LOGIN_KEY = "exam-login";

/** The id of the current login on this browser (written by the login page; made once if missing). */
export function loginNonce(storage = window.localStorage) {
  let nonce = storage.getItem(LOGIN_KEY);
  if (!nonce) {
    nonce = newNonce();
    storage.setItem(LOGIN_KEY, nonce);
  }
  return nonce;
}

export function newNonce() {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** One counter per attempt, shared by every tab; `next()` never returns a number twice. */
export class SeqCounter {
  constructor(attemptId, storage = window.localStorage) {
    this.key = `exam-seq:${attemptId}`;
    this.storage = storage;
    this.floor = 1; // the lowest number this tab may hand out (server's max + 1, own last + 1)
    this.db = openCounterDb().catch(() => null);
  }

  /** Never hand out a number the server already holds (e.g. from another workstation). */
  raise(serverMaxSeq) {
    this.floor = Math.max(this.floor, (serverMaxSeq || 0) + 1);
  }

  async next() {
    const db = await this.db;
    const n = db ? await idbNext(db, this.key, this.floor) : await lockedNext(this.storage, this.key, this.floor);
    this.floor = n + 1;
    return n;
  }
}

function openCounterDb() {
  return new Promise((resolve, reject) => {
    if (!window.indexedDB) return reject(new Error("no IndexedDB"));
    const req = indexedDB.open("exam-journal", 1);
    req.onupgradeneeded = () => req.result.createObjectStore("counters");
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
    req.onblocked = () => reject(new Error("IndexedDB blocked"));
  });
}

function idbNext(db, key, floor) {
  return new Promise((resolve, reject) => {
    const tx = db.transaction("counters", "readwrite");
    const store = tx.objectStore("counters");
    let n = floor;
    const get = store.get(key);
    get.onsuccess = () => {
      n = Math.max(Number(get.result) || 1, floor);
      store.put(n + 1, key);
    };
    tx.oncomplete = () => resolve(n);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error("aborted"));
  });
}

async function lockedNext(storage, key, floor) {
  const step = () => {
    const n = Math.max(Number(storage.getItem(key)) || 1, floor);
    storage.setItem(key, String(n + 1));
    return n;
  };
  if (navigator.locks) return navigator.locks.request(key, step);
  return step();
}

export class Journal {
  constructor(attemptId, login, storage = window.localStorage) {
    this.attemptPrefix = `exam-journal:${attemptId}:`;
    this.prefix = `${this.attemptPrefix}${login}:`;
    this.storage = storage;
    this.counter = new SeqCounter(attemptId, storage);
  }

  #get(key) {
    try {
      return JSON.parse(this.storage.getItem(this.prefix + key));
    } catch {
      return null;
    }
  }

  #set(key, value) {
    this.storage.setItem(this.prefix + key, JSON.stringify(value));
  }

  #keys(part) {
    const keys = [];
    for (let i = 0; i < this.storage.length; i++) {
      const key = this.storage.key(i);
      if (key && key.startsWith(this.prefix + part)) keys.push(key.slice(this.prefix.length));
    }
    return keys;
  }

  /** Whether `storageKey` (from a `storage` event) belongs to this journal. */
  owns(storageKey) {
    return typeof storageKey === "string" && storageKey.startsWith(this.prefix);
  }

  raiseSeq(serverMaxSeq) {
    this.counter.raise(serverMaxSeq);
  }

  /** Record a change; resolves to the entry to send, or null when a newer change of `q`
   *  (from this or another tab) is already in the journal. Older entries of `q` are dropped:
   *  the server keeps the highest sequence number per question anyway. */
  async record(q, value) {
    const seq = await this.counter.next();
    const newer = this.entriesFor(q).some((e) => e.seq > seq);
    if (newer) return null;
    const entry = { q, seq, value };
    this.#set(`e:${seq}`, entry);
    for (const e of this.entriesFor(q)) if (e.seq < seq) this.storage.removeItem(`${this.prefix}e:${e.seq}`);
    return entry;
  }

  has(seq) {
    return this.storage.getItem(`${this.prefix}e:${seq}`) !== null;
  }

  entry(seq) {
    return this.#get(`e:${seq}`);
  }

  /** The server holds `value` at `seq` for `q`: remember it (never over a higher one) and
   *  drop every entry of `q` up to `seq`. */
  held(q, seq, value) {
    const known = this.heldFor(q);
    if (!known || known.seq <= seq) this.#set(`held:${q}`, { seq, value });
    for (const e of this.entriesFor(q)) if (e.seq <= seq) this.storage.removeItem(`${this.prefix}e:${e.seq}`);
  }

  heldFor(q) {
    return this.#get(`held:${q}`);
  }

  /** Seed what the server holds (hello / attempt view), without dropping newer entries. */
  seedHeld(answers) {
    for (const [q, a] of Object.entries(answers || {})) {
      if (a && typeof a.seq === "number") this.held(Number(q), a.seq, a.value);
    }
  }

  /** A refusal stays on the entry (shown with its reason) until the question changes again
   *  or a later try succeeds. `final`: do not send it again by itself. */
  refuse(seq, code, message, final) {
    const entry = this.entry(seq);
    if (!entry) return;
    entry.refused = { code, message, final: !!final };
    this.#set(`e:${seq}`, entry);
  }

  pending() {
    return this.#keys("e:").map((k) => this.#get(k)).filter(Boolean).sort((a, b) => a.seq - b.seq);
  }

  /** Entries the page should (re)send: not refused for good. */
  sendable() {
    return this.pending().filter((e) => !(e.refused && e.refused.final));
  }

  entriesFor(q) {
    return this.pending().filter((e) => e.q === q);
  }

  pendingFor(q) {
    return this.entriesFor(q).pop();
  }

  /** A question to check again (the server holds another value than this page had). */
  notice(q, code, message) {
    if (code) this.#set(`notice:${q}`, { code, message });
    else this.storage.removeItem(`${this.prefix}notice:${q}`);
  }

  noticeFor(q) {
    return this.#get(`notice:${q}`);
  }

  get flags() {
    return this.#get("flags") || {};
  }

  setFlag(q, on) {
    const flags = this.flags;
    if (on) flags[q] = true;
    else delete flags[q];
    this.#set("flags", flags);
  }

  /** The login was revoked: nothing of this journal is ever sent again (kept to be shown). */
  markRevoked() {
    this.#set("revoked", true);
  }

  get revoked() {
    return this.#get("revoked") === true;
  }

  /** Everything of this login's journal (after the submission, on a shared school computer). */
  clear() {
    for (const key of this.#keys("")) this.storage.removeItem(this.prefix + key);
  }

  /** Every login's journal of this attempt on this browser (once the attempt is submitted). */
  clearAttempt() {
    const drop = [];
    for (let i = 0; i < this.storage.length; i++) {
      const key = this.storage.key(i);
      if (key && key.startsWith(this.attemptPrefix)) drop.push(key);
    }
    for (const key of drop) this.storage.removeItem(key);
  }
}
