import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { connect } from '@nats-io/transport-node';
import { decodeFrame, encodeFrames, MAX_FRAME_RECORDS } from '../../src/transport/frame-codec.ts';
import { NatsInputChannel } from '../../src/transport/nats-channel.ts';
import { decodeSnapshot, encodeSnapshot } from '../../src/state/snapshot-codec.ts';
import { openBlob, sealBlob } from '../../src/security/blob-cipher.ts';
import { staticStateKeys } from '../../src/security/state-keys.ts';
import { BadFrameError, BlobRejectedError, SnapshotCorruptError } from '../../src/index.ts';
import type { Envelope } from '../../src/internal.ts';
import { startNatsServer } from '../support/nats-server.ts';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StreamEnvironment, CollectSink, fileSource } from '../../src/index.ts';

/** Cases per property: bounded in npm test, many more in `npm run fuzz` (WEIR_FUZZ_RUNS). */
const runs = Number(process.env.WEIR_FUZZ_RUNS ?? 300);
const seed = Number(process.env.WEIR_FUZZ_SEED ?? 19);
const params = { numRuns: runs, seed };
const MAX = 1024 * 1024;
const packr = new Packr({ moreTypes: true });

/** Names that pollute prototypes when code assigns them blindly. */
const hostileKey = fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'polluted', '__defineGetter__');
/** Values of any type, hostile keys included, nested up to `depth`. */
const hostileValue = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, fc.anything({ maxDepth: 2 }), fc.dictionary(fc.oneof(hostileKey, fc.string()), tie('value'), { maxKeys: 4 }), fc.array(tie('value'), { maxLength: 4 })),
})).value;

/** A valid frame to mutate. */
const valid: Envelope = { kind: 'records', seq: 0, values: [{ a: 1, b: 'x' }, { a: 2, b: 'y' }, 7, null], timestamps: [1, 2, 3, 4], trace: [[0, '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01']] };
const validBytes = encodeFrames(valid, 0, MAX)[0]!;

/** Raw msgpack headers declaring far more than follows: array32, map32, str32, bin32, ext32 of 4G. */
const hugeDeclared = [0xdd, 0xdf, 0xdb, 0xc6, 0xc9].map((tag) => Uint8Array.from([tag, 0xff, 0xff, 0xff, 0xff, 0x01, 0x02]));

/** Nesting deeper than any stack: `[[[[…]]]]` as 1-element fixarrays. */
const deep = new Uint8Array(200_000).fill(0x91);

/** What the runtime may rely on in a decoded frame (a plain-TypeScript statement of the envelope types). */
function wellFormed(f: ReturnType<typeof decodeFrame>): string | undefined {
  const e = f.e as unknown as Record<string, unknown>;
  if (!Number.isInteger(f.s) || (f.m !== undefined && typeof f.m !== 'boolean') || !Number.isInteger(e.seq)) return 'frame fields';
  if (e.kind === 'records') {
    const values = e.values as unknown[];
    if (!Array.isArray(values) || (e.timestamps !== null && (e.timestamps as unknown[]).length !== values.length)) return 'records';
    const trace = e.trace as Array<[number, string]> | undefined;
    if (trace !== undefined && !trace.every(([i, tp]) => Number.isInteger(i) && i >= 0 && i < values.length && typeof tp === 'string')) return 'trace';
    return undefined;
  }
  if (e.kind === 'watermark') return typeof e.time === 'number' ? undefined : 'watermark';
  if (e.kind === 'barrier') return Number.isInteger(e.checkpointId) ? undefined : 'barrier';
  if (e.kind === 'idle') return typeof e.idle === 'boolean' ? undefined : 'idle';
  return e.kind === 'end' ? undefined : `kind ${String(e.kind)}`;
}

function onlyBadFrame(bytes: Uint8Array): void {
  try {
    const f = decodeFrame(bytes, 'fuzz', MAX);
    const wrong = wellFormed(f);
    if (wrong) throw new Error(`a frame with malformed ${wrong} was accepted`);
  } catch (error) {
    if (!(error instanceof BadFrameError)) throw new Error(`not a BadFrameError: ${String(error)}`);
    assert.ok(error.message.length > 'bad frame: '.length);
  }
}

const before = Object.getOwnPropertyNames(Object.prototype).sort();
const arrayBefore = Object.getOwnPropertyNames(Array.prototype).sort();

test('frames: random bytes, mutated valid frames, hostile values, huge declared lengths and deep nesting decode or are refused with a reason, never anything else', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => onlyBadFrame(bytes)), params);
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat(validBytes.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), fc.nat(validBytes.length), (flips, cut) => {
      const b = validBytes.slice(0, Math.max(1, cut));
      for (const [at, v] of flips) if (at < b.length) b[at] = v;
      onlyBadFrame(b);
    }),
    params,
  );
  // Frames of the right outline with hostile contents in every field.
  fc.assert(
    fc.property(hostileValue, hostileValue, fc.constantFrom('records', 'watermark', 'barrier', 'idle', 'end', '__proto__', 'constructor'), (a, b, kind) => {
      onlyBadFrame(packr.pack({ v: 3, s: 0, e: { kind, seq: a, time: b, checkpointId: a, idle: b } }));
      onlyBadFrame(packr.pack({ v: 3, s: 0, e: { kind: 'records', seq: 0, r: { n: 2, k: [a, b], i: [0, 1], f: [a, b] }, timestamps: null, trace: b } }));
      onlyBadFrame(packr.pack({ v: 3, s: a, e: b, m: a }));
      onlyBadFrame(packr.pack(a));
    }),
    params,
  );
  for (const bytes of [...hugeDeclared, deep]) onlyBadFrame(bytes);
  assert.throws(() => decodeFrame(new Uint8Array(MAX + 1), 'fuzz', MAX), /exceeds/);
});

test('frames: a few bytes declaring a billion empty records are refused before anything is allocated; hostile keys become plain data', () => {
  const heap = process.memoryUsage().heapUsed;
  const billion = packr.pack({ v: 3, s: 0, e: { kind: 'records', seq: 0, r: { n: 1e9, k: [[]], i: null, f: [] }, timestamps: null } });
  assert.ok(billion.length < 128, `${billion.length} bytes`);
  assert.throws(() => decodeFrame(billion, 'fuzz', MAX), new RegExp(`declares 1000000000 records, more than the ${MAX_FRAME_RECORDS}`));
  assert.ok(process.memoryUsage().heapUsed - heap < 64 * 1024 * 1024, 'no memory taken by the declared records');
  const hostile = packr.pack({ v: 3, s: 0, e: { kind: 'records', seq: 0, r: { n: 2, k: [['constructor', 'toString', 'prototype']], i: null, f: [1, 2, 3, 4, 5, 6] }, timestamps: null } });
  const frame = decodeFrame(hostile, 'fuzz', MAX);
  const first = (frame.e as { values: Array<Record<string, unknown>> }).values[0]!;
  assert.is(Object.getPrototypeOf(first), Object.prototype);
  assert.equal(Object.keys(first), ['constructor', 'toString', 'prototype']);
  assert.throws(() => decodeFrame(packr.pack({ v: 3, s: 0, e: { kind: 'records', seq: 0, r: { n: 1, k: [['__proto__']], i: null, f: [{ polluted: 1 }] }, timestamps: null } }), 'fuzz', MAX), /shape 0 is not a list of keys/);
});

test('snapshots: random and mutated bytes are refused with SnapshotCorruptError naming the snapshot; sealed blobs refuse any change', async () => {
  const good = encodeSnapshot({ counts: new Map([['a', 1]]), list: [1, 2, 3] }, { job: 'j', operator: 'op', kind: 'local' });
  const check = (bytes: Uint8Array) => {
    try {
      decodeSnapshot(bytes, { key: 'j/local/op-0', operator: 'op' });
    } catch (error) {
      if (!(error instanceof SnapshotCorruptError)) throw new Error(`not a SnapshotCorruptError: ${String(error)}`);
      assert.match(error.message, /snapshot 'j\/local\/op-0' cannot be read: /);
    }
  };
  fc.assert(fc.property(fc.uint8Array({ maxLength: 256 }), check), params);
  fc.assert(
    fc.property(fc.nat(good.length - 1), fc.integer({ min: 1, max: 255 }), fc.nat(good.length), (at, x, cut) => {
      const b = good.slice(0, Math.max(1, cut));
      if (at < b.length) b[at]! ^= x;
      check(b);
    }),
    params,
  );
  for (const bytes of [...hugeDeclared, deep]) check(bytes);
  const keys = staticStateKeys([{ id: 'k1', key: new Uint8Array(32).fill(7) }]);
  const sealed = await sealBlob(good, 'j/local/op-0', keys);
  await fc.assert(
    fc.asyncProperty(fc.nat(sealed.length - 1), fc.integer({ min: 1, max: 255 }), fc.nat(sealed.length), async (at, x, cut) => {
      const b = sealed.slice(0, Math.max(1, cut));
      if (at < b.length) b[at]! ^= x;
      try {
        await openBlob(b, 'j/local/op-0', keys);
        assert.unreachable('a changed blob was opened');
      } catch (error) {
        if (!(error instanceof BlobRejectedError)) throw error;
        assert.match((error as Error).message, /^blob 'j\/local\/op-0' rejected: /);
      }
    }),
    { ...params, numRuns: Math.ceil(runs / 3) },
  );
});

test('over a real nats-server: hostile frames on a channel subject go to the bad-frame handler with their reasons, and the channel then delivers the next valid frame', async () => {
  await using server = await startNatsServer({ jetstream: false });
  const nc = await connect({ servers: server.url });
  const pub = await connect({ servers: server.url });
  try {
    const bad: string[] = [];
    const channel = new NatsInputChannel(nc, 'fuzz', 'fuzz.job.0.0.0', 4, { badFrame: (e) => bad.push(e.message), gap: (e) => bad.push(`gap: ${e.message}`) });
    await nc.flush();
    const hostile = fc.sample(fc.oneof(fc.uint8Array({ maxLength: 128 }), hostileValue.map((v) => packr.pack({ v: 3, s: 0, e: v }))), { numRuns: 100, seed });
    for (const h of [...hostile, ...hugeDeclared]) pub.publish('fuzz.job.0.0.0', h);
    pub.publish('fuzz.job.0.0.0', encodeFrames({ kind: 'records', seq: 0, values: ['after'], timestamps: null }, 0, MAX)[0]!);
    await pub.flush();
    const delivered = await new Promise<Envelope>((resolve) => {
      const poll = () => {
        const e = channel.poll();
        if (e) resolve(e);
      };
      channel.onData(poll);
      poll();
    });
    assert.equal((delivered as { values: unknown[] }).values, ['after']);
    assert.ok(bad.length >= hostile.length - 5, `${bad.length} refused`);
    assert.ok(bad.every((m) => m.startsWith('bad frame: ') && m.includes('fuzz.job.0.0.0')), bad.find((m) => !m.startsWith('bad frame: ')));
    channel.close();
  } finally {
    await nc.close();
    await pub.close();
  }
});

test('records: hostile JSON lines (broken, wrong types, __proto__/constructor keys, deep nesting) go to dead letters with file:line and a reason; the rest flow, unpolluted', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'weir-fuzz-'));
  try {
    const good = fc.sample(fc.record({ at: fc.integer({ min: 0, max: 1e6 }), extra: hostileValue }), { numRuns: Math.min(runs, 500), seed }).map((r) => JSON.stringify(r));
    const broken = fc.sample(fc.oneof(fc.string({ minLength: 1 }), fc.json().map((j) => j.slice(0, Math.max(1, j.length - 1)))), { numRuns: Math.min(runs, 500), seed }).filter((l) => !l.includes('\n') && !l.includes('\r') && l.trim() !== '');
    const hostile = ['{"__proto__":{"polluted":1},"at":1}', '{"constructor":{"prototype":{"polluted":1}},"at":2}', `${'['.repeat(100_000)}${']'.repeat(100_000)}`, '{"at":"soon"}', '{"at":null}', 'null', '[1,2]', '"text"'];
    // Valid JSON, but longer than the source allows: refused unread, with bounded memory.
    const long = JSON.stringify({ at: 5, pad: 'x'.repeat(300_000) });
    const lines = [...good.slice(0, 10), long, ...good.slice(10), ...broken, ...hostile];
    writeFileSync(join(dir, 'in.jsonl'), lines.join('\n') + '\n');
    const expected = lines.filter((l) => {
      if (l === long) return false;
      try {
        const v = JSON.parse(l) as { at?: unknown } | null;
        return typeof v?.at === 'number' && Number.isFinite(v.at);
      } catch {
        return false;
      }
    });
    const sink = new CollectSink<Record<string, unknown>>();
    const env = StreamEnvironment.create({ parallelism: 1 });
    env.fromSource(fileSource<Record<string, unknown>>({ paths: [join(dir, 'in.jsonl')], format: 'jsonl', timestamp: (r) => r.at as number, maxLineBytes: 128 * 1024 })).map((r) => r).sinkTo(sink);
    const result = await env.execute('fuzz-records');
    const missing = expected.filter((l) => !sink.values.some((v) => JSON.stringify(v) === JSON.stringify(JSON.parse(l))));
    assert.is(sink.values.length, expected.length, `missing: ${missing.join(' | ').slice(0, 500)} dead: ${result.deadLetters.map((d) => d.reason).join(' | ').slice(0, 3000)}`);
    const deadLines = new Set(result.deadLetters.map((d) => d.position));
    const notDead = lines.map((l, i) => [l, i + 1] as const).filter(([l, n]) => !expected.includes(l) && !deadLines.has(n));
    assert.is(result.deadLetterCount, lines.length - expected.length, JSON.stringify(notDead).slice(0, 300));
    for (const l of result.deadLetters) assert.match(l.reason, /in\.jsonl:\d+: (not valid JSON|no valid timestamp|line of \d+ bytes or more is longer than the 131072 allowed)/);
    assert.ok(result.deadLetters.some((l) => l.reason.includes(`in.jsonl:11: line of ${long.length + 1} bytes`)), 'the long line is refused at its line number');
    const protoRecord = sink.values.find((v) => v.at === 1)!;
    assert.is(Object.getPrototypeOf(protoRecord), Object.prototype, 'a __proto__ key stays data');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('no prototype was polluted by anything decoded above', () => {
  assert.equal(Object.getOwnPropertyNames(Object.prototype).sort(), before);
  assert.equal(Object.getOwnPropertyNames(Array.prototype).sort(), arrayBefore);
  assert.is(({} as Record<string, unknown>).polluted, undefined);
});

test.run();
