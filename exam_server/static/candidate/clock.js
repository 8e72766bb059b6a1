// Server-owned time. The page learns the server time once per message and measures elapsed
// time with the monotonic performance clock, so changing the computer's clock changes nothing.

export class ServerClock {
  constructor() {
    this.serverAtSync = null; // ms since epoch, server time
    this.perfAtSync = 0;
  }

  /** `serverMs` was stamped by the server; `sentAt` is performance.now() when we asked. */
  sync(serverMs, sentAt = null) {
    const now = performance.now();
    // Half the round trip is the best guess of how old the stamp is.
    const age = sentAt === null ? 0 : (now - sentAt) / 2;
    this.serverAtSync = serverMs + age;
    this.perfAtSync = now;
  }

  now() {
    if (this.serverAtSync === null) return null;
    return this.serverAtSync + (performance.now() - this.perfAtSync);
  }
}

export class Countdown {
  constructor(clock, onTick) {
    this.clock = clock;
    this.onTick = onTick;
    this.deadline = null; // server ms
    this.frozenRemaining = null; // seconds, while paused
    this.timer = setInterval(() => this.tick(), 250);
  }

  set({ deadline, paused, remaining }) {
    this.deadline = deadline ?? null;
    this.frozenRemaining = paused ? remaining ?? this.remaining() : null;
    this.tick();
  }

  remaining() {
    if (this.frozenRemaining !== null) return this.frozenRemaining;
    const now = this.clock.now();
    if (this.deadline === null || now === null) return null;
    return Math.max(0, Math.round((this.deadline - now) / 1000));
  }

  tick() {
    this.onTick(this.remaining(), this.frozenRemaining !== null);
  }
}

export function formatDuration(seconds) {
  if (seconds === null || seconds === undefined) return "--:--";
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const two = (n) => String(n).padStart(2, "0");
  return h ? `${h}:${two(m)}:${two(s)}` : `${two(m)}:${two(s)}`;
}
