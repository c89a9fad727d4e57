import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { placeSlots, replaceLost, usedSlots } from '../../src/cluster/placement.ts';

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

test('a lost node\'s slots go to the survivors with the most free slots, other jobs\' slots counted; surviving slots stay put', () => {
  // Job x on a, b, c; another job holds a's second slot.
  const x = ['a', 'b', 'c'];
  assert.equal(replaceLost(x, ['b'], [{ name: 'a', slots: 2 }, { name: 'c', slots: 2 }], usedSlots([['a']])), { ok: true, slots: ['a', 'c', 'c'], overcommitted: [] }, 'a is full (x and another job), c has one free');
  assert.equal(replaceLost(x, ['b'], nodes, new Map()), { ok: true, slots: ['a', 'a', 'c'], overcommitted: [] }, 'a tie goes by name');
  // Two lost slots over survivors with 3 and 1 free: both to the roomier one, one by one.
  const wide = [{ name: 'a', slots: 4 }, { name: 'b', slots: 2 }, { name: 'c', slots: 2 }];
  assert.equal(replaceLost(['a', 'b', 'c', 'b'], ['b'], wide, new Map()), { ok: true, slots: ['a', 'a', 'c', 'a'], overcommitted: [] });
  assert.equal(replaceLost(x, [], nodes, new Map()), { ok: true, slots: x, overcommitted: [] }, 'nothing lost, nothing moves');
});

test('too few free slots after a loss: the job still goes on, the slots beyond are overcommitted (spread, and named for the warning)', () => {
  const full = usedSlots([['a', 'c']]);
  const r = replaceLost(['a', 'b', 'c', 'b'], ['b'], nodes, full);
  assert.equal(r, { ok: true, slots: ['a', 'a', 'c', 'c'], overcommitted: ['a', 'c'] });
  // Slot counts unknown (no registry): each survivor counts as full, and the lost slots are spread.
  assert.equal(replaceLost(['a', 'b', 'c'], ['b'], [], new Map()), { ok: true, slots: ['a', 'a', 'c'], overcommitted: ['a'] });
});

test('every node of the job lost: no placement, and the reason names them', () => {
  const r = replaceLost(['a', 'b', 'a'], ['a', 'b'], nodes, new Map());
  assert.is(r.ok, false);
  assert.match((r as { reason: string }).reason, /every node of the job is lost \(a, b\)/);
});

test.run();
