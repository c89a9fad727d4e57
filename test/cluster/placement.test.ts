import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { placeSlots, usedSlots } from '../../src/cluster/placement.ts';

const nodes = [
  { name: 'a', slots: 2 },
  { name: 'b', slots: 2 },
  { name: 'c', slots: 2 },
];

test('spreads a job over nodes before doubling up on one', () => {
  assert.equal(placeSlots(nodes, new Map(), 3), { ok: true, slots: ['a', 'b', 'c'] });
  assert.equal(placeSlots(nodes, new Map(), 5), { ok: true, slots: ['a', 'b', 'c', 'a', 'b'] });
});

test('prefers the nodes with the most free slots and never exceeds a node’s slots', () => {
  const used = usedSlots([['a', 'b'], ['a']]);
  const r = placeSlots(nodes, used, 3);
  assert.equal(r, { ok: true, slots: ['c', 'b', 'c'] });
  assert.equal(placeSlots(nodes, usedSlots([['a', 'a', 'b', 'b']]), 2), { ok: true, slots: ['c', 'c'] });
});

test('too few free slots: no placement, and the reason says what the cluster has', () => {
  const r = placeSlots(nodes, usedSlots([['a', 'a', 'b']]), 4);
  assert.is(r.ok, false);
  assert.match((r as { reason: string }).reason, /needs 4 free slots, the cluster has 3 \(free\/slots per node: a 0\/2, b 1\/2, c 2\/2\)/);
  assert.is(placeSlots([], new Map(), 1).ok, false);
  assert.is(placeSlots(nodes, new Map(), 0).ok, false);
});

test.run();
