import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeSnapshot, decodeSnapshot, assertSerializable } from '../../src/state/snapshot-codec.ts';
import { SnapshotCorruptError, StateNotSerializableError } from '../../src/index.ts';

const meta = { job: 'j', operator: 'count', kind: 'local' };
const state = { counts: new Map<unknown, unknown>([['a', 1], [2, { n: 2n }]]), seen: new Set(['x']), at: new Date(5), list: [1, undefined, 'z'], bytes: new Uint8Array([1, 2]) };

test('round trip keeps Map, Set, Date, bigint, undefined and bytes', () => {
  const { meta: m, payload } = decodeSnapshot(encodeSnapshot(state, meta), { operator: 'count' });
  assert.equal(m, meta);
  assert.equal(payload, state);
  assert.instance((payload as typeof state).counts, Map);
});

test('truncated, corrupted, foreign and wrong-version snapshots each say what is wrong', () => {
  const bytes = encodeSnapshot(state, meta);
  const err = (b: Uint8Array): string => {
    try {
      decodeSnapshot(b, { key: 'j/local/count-0', operator: 'count', job: 'j' });
    } catch (e) {
      assert.instance(e, SnapshotCorruptError);
      return (e as Error).message;
    }
    assert.unreachable('should not decode');
    return '';
  };
  assert.match(err(bytes.subarray(0, bytes.length - 3)), /truncated \(expected \d+ bytes, found \d+\)/);
  assert.match(err(bytes.subarray(0, 5)), /truncated/);
  const flipped = bytes.slice();
  flipped[flipped.length - 2]! ^= 0xff;
  assert.match(err(flipped), /checksum mismatch/);
  const foreign = bytes.slice();
  foreign[0] = 0x50;
  assert.match(err(foreign), /bad magic/);
  const future = bytes.slice();
  future[5] = 9;
  assert.match(err(future), /format version 9 not supported \(this Weir reads 1\)/);
  assert.match(err(flipped), /operator 'count'/);
  assert.match(err(flipped), /j\/local\/count-0/);
  assert.match(decodeSafe(encodeSnapshot(state, { ...meta, operator: 'other' })), /written by operator 'other'/);
});

function decodeSafe(b: Uint8Array): string {
  try {
    decodeSnapshot(b, { operator: 'count' });
    return '';
  } catch (e) {
    return (e as Error).message;
  }
}

test('assertSerializable names the path of a function, a class instance or a promise', () => {
  class Account {
    deposit() {}
  }
  const cases: Array<[unknown, RegExp]> = [
    [{ totals: [{ n: 1 }, { n: 2, cb: () => {} }] }, /state\.totals\[1\]\.cb' is a function/],
    [new Map([['k', new Account()]]), /state\.get\("k"\)' is an instance of class Account/],
    [{ p: Promise.resolve() }, /a Promise/],
  ];
  for (const [value, message] of cases) {
    assert.throws(() => assertSerializable(value, 'op'), (e: Error) => e instanceof StateNotSerializableError && message.test(e.message) && /operator 'op'/.test(e.message));
  }
  assertSerializable(state, 'op');
});

test('packing a function fails loudly even without the walk (deltas are not walked)', () => {
  try {
    encodeSnapshot({ delta: [['k', { n: 1, onChange: () => {} }]] }, meta);
    assert.unreachable('a function was packed');
  } catch (error) {
    assert.instance(error, StateNotSerializableError);
    assert.match((error as Error).message, /a function/);
    assert.is((error as StateNotSerializableError).site.operator, 'count');
  }
});

test.run();
