import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SlotQueue } from '../../actors/window/slot-queue.ts';
import { SessionWindows } from '../../actors/window/session-windows.ts';
import { WindowEmitter } from '../../actors/window/window-emitter.ts';
import { SeededRandom } from '../../src/index.ts';
import { packValue, unpackValue } from '../../src/state/snapshot-codec.ts';

/** The reference: every queued slot with its (due, seq), taken in that order. */
class ReferenceQueue {
  private queued = new Map<number, [number, number]>();
  private seq = 0;
  schedule(slot: number, due: number): void {
    this.queued.set(slot, [due, this.seq++]);
  }
  remove(slot: number): void {
    this.queued.delete(slot);
  }
  takeDue(time: number): number {
    let best = -1;
    let at: [number, number] = [Infinity, Infinity];
    for (const [slot, d] of this.queued) if (d[0] < at[0] || (d[0] === at[0] && d[1] < at[1])) [best, at] = [slot, d];
    if (best < 0 || at[0] > time) return -1;
    this.queued.delete(best);
    return best;
  }
}

test('the slot queue takes slots in (due, scheduled) order, in order, out of order and rescheduled', () => {
  for (const disorder of [0, 5, 200]) {
    const r = new SeededRandom(7 + disorder);
    const q = new SlotQueue();
    const ref = new ReferenceQueue();
    q.grow(300);
    let now = 0;
    const taken: number[] = [];
    const expected: number[] = [];
    for (let step = 0; step < 20_000; step++) {
      r.reset(step);
      const op = r.int(10);
      const slot = r.int(300);
      if (op < 6) {
        // Mostly in time order, ties common; some earlier by up to `disorder` (those go to the heap).
        const due = now + 50 + r.int(3) - (disorder > 0 ? r.int(disorder) : 0);
        q.schedule(slot, due);
        ref.schedule(slot, due);
      } else if (op < 7) {
        q.remove(slot);
        ref.remove(slot);
      } else {
        now += r.int(4);
        for (let s = q.takeDue(now); s >= 0; s = q.takeDue(now)) taken.push(s);
        for (let s = ref.takeDue(now); s >= 0; s = ref.takeDue(now)) expected.push(s);
      }
    }
    for (let s = q.takeDue(Infinity); s >= 0; s = q.takeDue(Infinity)) taken.push(s);
    for (let s = ref.takeDue(Infinity); s >= 0; s = ref.takeDue(Infinity)) expected.push(s);
    assert.equal(taken, expected, `disorder ${disorder}`);
    assert.is(q.size, 0);
  }
});

type Fired = Array<[string, number, number]>; // key, session end, count

const count = { createAccumulator: () => 0, add: (_v: string, n: number) => n + 1, getResult: (n: number) => n, merge: (a: number, b: number) => a + b };

/** Sessions with a gap of 100 ms, each firing [key, count] at the session's end. */
function sessions(): SessionWindows<string, string, number, [string, number]> {
  const emitter = new WindowEmitter<string, number, unknown, [string, number], string>(count, (key, [n], ctx, out) => out.emit([key, n as number], ctx.window.end), false);
  return new SessionWindows<string, string, number, [string, number]>(100, 0, emitter);
}

/** The watermark of the last advance before record i (one every 64 records, 31 ms behind). */
const watermarkAt = (i: number) => (i < 64 ? -Infinity : Math.floor(i / 64) * 64 - 1 - 31);

const collector = (fired: Fired) => ({ emit: (v: [string, number], ts: number) => void fired.push([v[0], ts, v[1]]) }) as never;

/** Records for 40 keys, 1 per ms, out of order by up to 30 ms, in steps of 4 ms; the watermark follows 31 ms behind every 64 records. */
function feed(w: SessionWindows<string, string, number, [string, number]>, from: number, to: number, out: never): void {
  const r = new SeededRandom(3);
  for (let i = from; i < to; i++) {
    r.reset(i);
    const key = `k${r.int(40)}`;
    // Timestamps in steps of 4 ms: keys often share a session end (the order of ties shows).
    w.add(key, (i - r.int(28)) & ~3, key, watermarkAt(i), out);
    if (i % 64 === 63) w.advance(i - 31, out);
  }
}

test('session windows give the same firings, in the same order, after a restore from a checkpoint or a local (columns) snapshot', () => {
  const whole: Fired = [];
  const a = sessions();
  feed(a, 0, 6000, collector(whole));
  a.advance(Infinity, collector(whole));
  for (const via of ['checkpoint', 'local'] as const) {
    const fired: Fired = [];
    const b = sessions();
    feed(b, 0, 3000, collector(fired));
    const state = unpackValue(packValue(via === 'checkpoint' ? b.snapshot() : b.snapshotDelta()));
    const c = sessions();
    if (via === 'checkpoint') c.restore(state);
    else c.restoreDelta(state);
    feed(c, 3000, 6000, collector(fired));
    c.advance(Infinity, collector(fired));
    assert.equal(fired, whole, via);
  }
  // Merged sessions: fewer firings than records, and keys open several sessions.
  assert.ok(whole.length > 40 && whole.length < 3000);
});

test.run();
