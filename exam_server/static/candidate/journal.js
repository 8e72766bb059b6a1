// The numbered journal of unacknowledged changes, kept in localStorage.
//
// Every change gets the next sequence number of the attempt and is written here *before* it
// is sent; it leaves the journal only when the server acknowledged that sequence number (or a
// higher one for the same question). After a reload, a crash or minutes offline, whatever is
// still here is replayed; the server ignores sequence numbers it already has.

export class Journal {
  constructor(attemptId, storage = window.localStorage) {
    this.key = `exam-journal:${attemptId}`;
    this.storage = storage;
    const saved = this.#read();
    this.nextSeq = saved.nextSeq || 1;
    this.entries = saved.entries || {}; // seq -> {q, seq, value}
    this.flags = saved.flags || {}; // q -> true (flags are the candidate's own notes)
  }

  #read() {
    try {
      return JSON.parse(this.storage.getItem(this.key) || "{}");
    } catch {
      return {};
    }
  }

  #write() {
    this.storage.setItem(this.key, JSON.stringify({ nextSeq: this.nextSeq, entries: this.entries, flags: this.flags }));
  }

  /** Never reuse a sequence number the server has already seen (e.g. on a new workstation). */
  raiseSeq(serverMaxSeq) {
    if (serverMaxSeq >= this.nextSeq) {
      this.nextSeq = serverMaxSeq + 1;
      this.#write();
    }
  }

  /** Record a change; returns the entry to send. Older pending entries of `q` are dropped
   *  because the server keeps the highest sequence number per question anyway. */
  record(q, value) {
    const entry = { q, seq: this.nextSeq++, value };
    for (const [seq, e] of Object.entries(this.entries)) {
      if (e.q === q) delete this.entries[seq];
    }
    this.entries[entry.seq] = entry;
    this.#write();
    return entry;
  }

  acknowledge(seq) {
    const entry = this.entries[seq];
    if (!entry) return;
    delete this.entries[seq];
    this.#write();
  }

  pending() {
    return Object.values(this.entries).sort((a, b) => a.seq - b.seq);
  }

  pendingFor(q) {
    return this.pending().filter((e) => e.q === q).pop();
  }

  clear() {
    this.entries = {};
    this.flags = {};
    this.storage.removeItem(this.key);
  }

  setFlag(q, on) {
    if (on) this.flags[q] = true;
    else delete this.flags[q];
    this.#write();
  }
}
