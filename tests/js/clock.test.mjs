// Server-owned time (candidate/clock.js): the offset learnt from the server's stamp, the
// monotonic clock for elapsed time, and the countdown (running, paused, over).
import { test, mock } from "node:test";
import assert from "node:assert/strict";
import { load } from "./support.mjs";

const { ServerClock, Countdown, formatDuration } = await load("candidate/clock.js");

function fakePerformance(start = 1000) {
  let now = start;
  mock.method(performance, "now", () => now);
  return { advance: (ms) => { now += ms; } };
}

test("server time before any stamp is unknown", () => {
  assert.equal(new ServerClock().now(), null);
});

test("the clock follows the server's stamp plus half the round trip, whatever the computer's clock says", (t) => {
  const perf = fakePerformance();
  t.after(() => mock.restoreAll());
  const clock = new ServerClock();
  const sentAt = performance.now();
  perf.advance(200); // the answer took 200 ms: the stamp is about 100 ms old
  clock.sync(1_700_000_000_000, sentAt);
  assert.equal(clock.now(), 1_700_000_000_100);
  perf.advance(5000);
  assert.equal(clock.now(), 1_700_000_005_100);
  mock.method(Date, "now", () => 0); // changing the computer's clock changes nothing
  assert.equal(clock.now(), 1_700_000_005_100);
});

test("the countdown counts to the deadline and stops at zero", (t) => {
  const perf = fakePerformance();
  const ticks = [];
  const clock = new ServerClock();
  clock.sync(10_000_000);
  const countdown = new Countdown(clock, (remaining, frozen) => ticks.push([remaining, frozen]));
  t.after(() => { clearInterval(countdown.timer); mock.restoreAll(); });
  countdown.set({ deadline: 10_000_000 + 90_000 });
  assert.deepEqual(ticks.at(-1), [90, false]);
  perf.advance(30_400);
  countdown.tick();
  assert.deepEqual(ticks.at(-1), [60, false]);
  perf.advance(120_000);
  countdown.tick();
  assert.deepEqual(ticks.at(-1), [0, false]);
});

test("a paused countdown shows the frozen time however long the pause", (t) => {
  const perf = fakePerformance();
  const ticks = [];
  const clock = new ServerClock();
  clock.sync(0);
  const countdown = new Countdown(clock, (remaining, frozen) => ticks.push([remaining, frozen]));
  t.after(() => { clearInterval(countdown.timer); mock.restoreAll(); });
  countdown.set({ deadline: null, paused: true, remaining: 600 });
  perf.advance(300_000);
  countdown.tick();
  assert.deepEqual(ticks.at(-1), [600, true]);
  countdown.set({ deadline: 300_000 + 600_000, paused: false });
  assert.deepEqual(ticks.at(-1), [600, false]);
});

test("without a deadline or server time the remaining time is unknown", (t) => {
  const countdown = new Countdown(new ServerClock(), () => {});
  t.after(() => clearInterval(countdown.timer));
  countdown.set({ deadline: 5000 });
  assert.equal(countdown.remaining(), null);
});

test("durations read as mm:ss, or h:mm:ss from an hour", () => {
  assert.equal(formatDuration(null), "--:--");
  assert.equal(formatDuration(0), "00:00");
  assert.equal(formatDuration(65), "01:05");
  assert.equal(formatDuration(3600 + 2 * 60 + 3), "1:02:03");
});
