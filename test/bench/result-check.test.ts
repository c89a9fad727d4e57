import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CollectSink } from '../../src/index.ts';
import { ResultDigest, mix, mixString } from '../../bench/result-digest.ts';
import { checkResults } from '../../bench/result-check.ts';
import type { BenchRow } from '../../bench/scenario.ts';
import { QueryDigest } from '../../bench/nexmark/query-digest.ts';
import { queries } from '../../bench/nexmark/queries/index.ts';
import { runQuery, NexmarkGenerator } from '../../bench/nexmark/job.ts';

const digestOf = (rows: Array<[number, number]>) => {
  const d = new ResultDigest();
  for (const [a, b] of rows) d.add(mix(mix(0, a), b));
  return d.toString();
};

test('a digest ignores row order and shows a changed, lost or duplicated row', () => {
  const rows: Array<[number, number]> = [[1, 10], [2, 20], [3, 30.5], [1_700_000_000_000, 7]];
  const base = digestOf(rows);
  assert.is(digestOf([...rows].reverse()), base);
  assert.is.not(digestOf([[1, 10], [2, 21], [3, 30.5], [1_700_000_000_000, 7]]), base, 'a changed value');
  assert.is.not(digestOf([[1, 10], [2, 20], [3, 30.5], [1_700_000_000_001, 7]]), base, 'a large integer off by one');
  assert.is.not(digestOf([[1, 10], [2, 20], [3, 30.50000000000001], [1_700_000_000_000, 7]]), base, 'a float off by one ulp');
  assert.is.not(digestOf(rows.slice(1)), base, 'a lost row');
  assert.is.not(digestOf([...rows, rows[0]!]), base, 'a duplicated row');
  assert.is.not(digestOf([[10, 1], [2, 20], [3, 30.5], [1_700_000_000_000, 7]]), base, 'fields swapped');
  assert.is.not(mixString(0, 'ab'), mixString(0, 'ba'));
});

test('digests of disjoint parts add up to the digest of the whole', () => {
  const a = new ResultDigest();
  const b = new ResultDigest();
  const whole = new ResultDigest();
  for (let i = 0; i < 1000; i++) {
    (i % 3 === 0 ? a : b).add(mix(0, i * 7.25));
    whole.add(mix(0, i * 7.25));
  }
  assert.is(ResultDigest.parse(a.toString()).merge(b.toString()).toString(), whole.toString());
  assert.throws(() => ResultDigest.parse('5'), /not a result digest/);
});

const row = (system: string, result: string): BenchRow => ({ scenario: 's', system, events: 1, seconds: 1, eventsPerSec: 1, rssPeakMb: 1, rssStartMb: 1, extra: { result } });
const systems = { weir: () => 0, 'hand-loop': () => 0, other: () => 0 };

test('checkResults: equal digests pass; a system or a run that differs fails, naming both', () => {
  const same = new Map([['weir', [row('weir', 'x'), row('weir', 'x')]], ['hand-loop', [row('hand-loop', 'x')]], ['other', [row('other', 'x')]]]);
  assert.equal(checkResults({ systems }, same).differ, []);
  const differ = checkResults({ systems }, new Map([...same, ['hand-loop', [row('hand-loop', 'y')]]])).differ;
  assert.is(differ.length, 1);
  assert.match(differ[0]!, /weir \(run 1\): x.*hand-loop \(run 1\): y/);
  assert.is(checkResults({ systems }, new Map([...same, ['weir', [row('weir', 'x'), row('weir', 'z')]]])).differ.length, 1, 'runs of one system differ');
  // Groups: a system computing something else is compared only with itself.
  const grouped = { systems, resultGroups: [['weir', 'hand-loop'], ['other']] };
  assert.equal(checkResults(grouped, new Map([...same, ['other', [row('other', 'q')]]])).differ, []);
  assert.match(checkResults({ systems, resultGroups: [['weir', 'hand-loop']] }, same).differ[0]!, /no result group: other/);
});

test('q4 (an updating query): Weir emits one running average per closed auction, yet its final rows digest equal to the reference (issue 24: 27331 outputs against 5)', async () => {
  const q4 = queries.find((q) => q.name === 'q4')!;
  const gen = new NexmarkGenerator({ seed: 1, outOfOrderMs: 100 });
  const sink = new CollectSink<unknown>();
  await runQuery(q4, gen, 50_000, sink);
  const weir = new QueryDigest(q4);
  weir.add(sink.values);
  const reference = new QueryDigest(q4);
  q4.reference(gen, 50_000, (r) => reference.addRow(r));
  assert.ok(weir.received > 100 * reference.received, `updates ${weir.received}, final rows ${reference.received}`);
  assert.is(weir.result().toString(), reference.result().toString());
  assert.is(weir.result().count, 5);
  // Digesting the updates themselves (what counting them amounted to) disagrees.
  const updates = new ResultDigest();
  for (const r of sink.values) updates.add(mixString(0, q4.row(r)));
  assert.is.not(updates.toString(), reference.result().toString());
});

test.run();
