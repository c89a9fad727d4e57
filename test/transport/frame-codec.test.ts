import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeFrames, decodeFrame } from '../../src/transport/frame-codec.ts';
import type { RecordsEnvelope } from '../../src/transport/envelope.ts';
import { SeededRandom } from '../../src/index.ts';
import { Packr, Unpackr } from 'msgpackr';
import { BadFrameError } from '../../src/errors.ts';

/** Records of many shapes: what users send (objects whose keys vary, nested values, Maps, Dates, tuples). */
function mixed(n: number): unknown[] {
  const r = new SeededRandom(11);
  const out: unknown[] = [];
  for (let i = 0; i < n; i++) {
    switch (r.int(6)) {
      case 0: out.push({ id: i, key: `k${r.int(50)}`, price: r.int(1000) / 7 }); break;
      case 1: out.push({ id: i, nested: { a: [1, 2, { b: 'x' }], when: new Date(1_700_000_000_000 + i) } }); break;
      case 2: out.push([i, `t${i}`, null, 64 + r.int(64)]); break;
      case 3: out.push(new Map<string, number>([['a', i], ['b', -i]])); break;
      case 4: out.push({ id: i, [`dyn${r.int(100)}`]: true, optional: r.int(2) ? undefined : 5 }); break;
      default: out.push(`plain ${i}`);
    }
  }
  return out;
}

test('records of many shapes survive frames exactly, whole and split below max_payload', () => {
  const values = mixed(3000);
  const envelope: RecordsEnvelope = { kind: 'records', seq: 42, values, timestamps: values.map((_, i) => 1000 + i), trace: [[7, '00-abc-def-01']] };
  for (const maxBytes of [1024 * 1024, 8 * 1024]) {
    const frames = encodeFrames(envelope, 5, maxBytes);
    assert.ok(maxBytes > 100_000 ? frames.length === 1 : frames.length > 3, `${frames.length} frames at ${maxBytes}`);
    const back = frames.map((f) => decodeFrame(f, 'subject', maxBytes));
    assert.equal(back.map((f) => f.s), frames.map((_, i) => 5 + i));
    assert.equal(back.map((f) => f.m === true), frames.map((_, i) => i < frames.length - 1));
    const parts = back.map((f) => f.e as RecordsEnvelope);
    assert.equal(parts.flatMap((p) => p.values), values);
    assert.equal(parts.flatMap((p) => p.timestamps!), envelope.timestamps);
    assert.equal(parts[0]!.seq, 42);
    // No state carries from frame to frame: a receiver that starts at any frame (restarted, or
    // replaying after a rollback) decodes it alike.
    const reversed = frames.slice().reverse().map((f) => (decodeFrame(f, 'subject', maxBytes).e as RecordsEnvelope).values);
    assert.equal(reversed.reverse(), parts.map((p) => p.values));
  }
});

test('a records envelope whose timestamps are not one per record is a bad frame', () => {
  const [frame] = encodeFrames({ kind: 'records', seq: 0, values: [{ a: 1 }, { a: 2 }], timestamps: [1, 2] }, 0, 1 << 20);
  const f = new Unpackr({ moreTypes: true }).unpack(frame!) as { e: { timestamps: number[] } };
  f.e.timestamps = [1];
  assert.throws(() => decodeFrame(new Packr({ moreTypes: true }).pack(f), 'subject', 1 << 20), (e: Error) => e instanceof BadFrameError && /timestamps not one per record/.test(e.message));
});

test.run();
