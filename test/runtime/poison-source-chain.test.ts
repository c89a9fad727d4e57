import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { StreamEnvironment, CollectSink, type Source } from '../../src/index.ts';

const COUNT = 20_000;
const POISON = 12_345;

/**
 * A replayable source that cuts its batches differently after every restore, as a rate-limited or live source does
 * (how many records are there depends on when it is asked).
 */
function shiftingSource(): Source<number> & { restores: number } {
  const source = {
    name: 'shifting',
    replayable: true,
    restores: 0,
    createReader: () => {
      let next = 0;
      return {
        open() {},
        read(out: number[], _ts: number[] | null, max: number) {
          if (next >= COUNT) return -1;
          const n = Math.min(max, 97 + 31 * source.restores, COUNT - next);
          for (let i = 0; i < n; i++) out.push(next++);
          return n;
        },
        snapshot: () => next,
        restore(position: unknown) {
          next = position as number;
          source.restores++;
        },
        close() {},
      };
    },
  };
  return source;
}

test('a poison record in a stateful chain fused with a source whose batches move after each restore (batches were known by their start, so the record was never isolated and the job failed on the restart intensity): it becomes one dead letter, nothing else is lost or duplicated', async () => {
  const sink = new CollectSink<[number, number]>();
  const source = shiftingSource();
  // At parallelism 1 the keyed sum joins the source's chain, which then recovers by reading again from its snapshot.
  const env = StreamEnvironment.create({ parallelism: 1, supervision: { maxRestarts: 3, backoff: { initialMs: 1, maxMs: 1 } } });
  env
    .fromSource(source)
    .map((x) => {
      if (x === POISON) throw new Error(`poison ${x}`);
      return [x % 10, x] as [number, number];
    }, 'parse')
    .keyBy((p) => p[0])
    .reduce((a, b) => [a[0], a[1] + b[1]], 'sum')
    .sinkTo(sink);
  const result = await env.execute('poison-shifting-source');
  assert.is(result.deadLetters.length, 1);
  assert.is(result.deadLetters[0]!.record, POISON);
  const sums = new Map<number, number>();
  for (let i = 0; i < COUNT; i++) if (i !== POISON) sums.set(i % 10, (sums.get(i % 10) ?? 0) + i);
  const last = new Map<number, number>();
  for (const [k, v] of sink.values) last.set(k, v);
  assert.equal([...last].sort((a, b) => a[0] - b[0]), [...sums].sort((a, b) => a[0] - b[0]));
  assert.is(sink.values.length, COUNT - 1, 'one running sum per record, none twice');
  assert.ok(source.restores >= 2, `the source was restored (${source.restores} times)`);
  assert.ok(result.restarts <= 4, `isolated within the restart intensity (${result.restarts} restarts)`);
});

test.run();
