import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Packr, Unpackr } from 'msgpackr';
import { shapeRecords, unshapeRecords, type ShapedRecords } from '../../src/transport/record-shapes.ts';
import { BadFrameError } from '../../src/errors.ts';

/** Through msgpack and back, as in a frame. */
const roundTrip = (values: unknown[]): unknown[] => unshapeRecords(new Unpackr({ moreTypes: true }).unpack(new Packr({ moreTypes: true }).pack(shapeRecords(values))) as ShapedRecords, 'subject');

test('one shape: keys once, values flat, no shape ids', () => {
  const values = [{ id: 1, price: 10 }, { id: 2, price: 10.5 }, { id: 3, price: -1 }];
  const wire = shapeRecords(values);
  assert.equal(wire, { n: 3, k: [['id', 'price']], i: null, f: [1, 10, 2, 10.5, 3, -1] });
  assert.equal(roundTrip(values), values);
});

test('decoded records are plain objects: Object prototype and constructor, own enumerable keys in order', () => {
  const [a] = roundTrip([{ b: 1, a: 'x', nested: { z: [1] } }]) as Array<Record<string, unknown>>;
  assert.is(Object.getPrototypeOf(a), Object.prototype);
  assert.is(a!.constructor, Object);
  assert.equal(Object.keys(a!), ['b', 'a', 'nested']);
  assert.is(JSON.stringify(a), '{"b":1,"a":"x","nested":{"z":[1]}}');
  assert.ok(Object.getOwnPropertyDescriptor(a, 'a')!.writable && Object.getOwnPropertyDescriptor(a, 'a')!.enumerable);
});

test('primitives only: the flat array is the values, no shapes, no ids', () => {
  const values = [1, 'two', null, 4.5, true];
  assert.equal(shapeRecords(values), { n: 5, k: [], i: null, f: values });
  assert.equal(roundTrip(values), values);
});

test('mixed: several shapes, raw values between them, undefined fields, empty objects, class instances and null-prototype objects kept as values', () => {
  class Point {
    constructor(readonly x: number) {}
  }
  const bare = Object.assign(Object.create(null) as Record<string, number>, { q: 1 });
  const values = [{ a: 1 }, 'raw', { a: 2, b: undefined }, {}, { a: 3 }, [1, 2], new Point(4), bare, { b: 1, a: 2 }, { a: 5 }];
  const wire = shapeRecords(values);
  assert.equal(wire.k, [['a'], ['a', 'b'], [], ['b', 'a']]);
  assert.equal(wire.i, [0, -1, 1, 2, 0, -1, -1, -1, 3, 0]);
  const back = roundTrip(values) as unknown[];
  assert.equal(back.slice(0, 6), values.slice(0, 6));
  assert.ok('b' in (back[2] as object), 'an undefined field stays a key');
  // As before shapes existed: msgpack writes other objects' own keys and reads plain objects.
  assert.equal({ ...(back[6] as object) }, { x: 4 });
  assert.equal({ ...(back[7] as object) }, { q: 1 });
  assert.equal(back.slice(8), values.slice(8));
});

test('objects past the shape and key limits, and an own __proto__ key, travel as plain msgpack values', () => {
  const many = Array.from({ length: 40 }, (_, s) => ({ [`k${s}`]: s }));
  const wide = Object.fromEntries(Array.from({ length: 100 }, (_, j) => [`f${j}`, j]));
  const proto = JSON.parse('{"__proto__": {"evil": true}, "x": 1}') as object;
  const values = [...many, wide, proto];
  const wire = shapeRecords(values);
  assert.is(wire.k.length, 32);
  assert.equal(wire.i!.slice(30), [30, 31, ...Array(8).fill(-1), -1, -1]);
  const back = roundTrip(values) as object[];
  assert.equal(back.slice(0, 41), values.slice(0, 41));
  assert.is(Object.getPrototypeOf(back[41]), Object.prototype, 'no prototype was set from data');
  assert.is((back[41] as { evil?: boolean }).evil, undefined);
});

test('past the limit of shapes with generated code, records of new shapes are still plain objects', () => {
  for (let batch = 0; batch < 130; batch++) {
    const values = Array.from({ length: 32 }, (_, s) => ({ [`f${batch * 32 + s}`]: s, same: true }));
    const back = roundTrip(values) as object[];
    assert.equal(back, values);
    assert.ok(back.every((o) => Object.getPrototypeOf(o) === Object.prototype), `batch ${batch}`);
  }
});

test('records whose parts do not fit together are bad frames, with the reason', () => {
  const cases: Array<[ShapedRecords, RegExp]> = [
    [{ n: 2, k: [], i: null, f: [1] }, /1 values for 2 records/],
    [{ n: 2, k: [['a']], i: null, f: [1, 2, 3] }, /3 values for 2 records of 1 keys/],
    [{ n: 2, k: [['a']], i: [0], f: [1, 2] }, /1 shape ids for 2 records/],
    [{ n: 2, k: [['a']], i: [0, 3], f: [1, 2] }, /record 1 has shape 3 of 1/],
    [{ n: 2, k: [['a', 'b']], i: [0, 0], f: [1, 2, 3] }, /values end early/],
    [{ n: 1, k: [['a']], i: [-1], f: [1, 2] }, /1 values left over/],
    [{ n: 1, k: [['__proto__']], i: null, f: [{}] }, /shape 0 is not a list of keys/],
    [{ n: 1, k: [[7 as unknown as string]], i: null, f: [1] }, /shape 0 is not a list of keys/],
    [{ n: -1, k: [], i: null, f: [] }, /no record count/],
  ];
  for (const [wire, reason] of cases) {
    try {
      unshapeRecords(wire, 'weir.job.0.0.1');
      assert.unreachable(`accepted ${JSON.stringify(wire)}`);
    } catch (error) {
      assert.instance(error, BadFrameError);
      assert.match((error as Error).message, reason);
      assert.is((error as BadFrameError).site.source, 'weir.job.0.0.1');
    }
  }
});

test.run();
