import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { StreamEnvironment, CollectSink, JobFailedError, RestartIntensityError, PoisonRecordError, SimulatedClock } from '../../src/index.ts';
import { Supervisor } from '../../src/runtime/supervisor.ts';

const fast = { backoff: { initialMs: 1, maxMs: 2 } };

test('restart intensity exceeded: the job fails with a clear error naming the supervisor and the last failure', async () => {
  let calls = 0;
  const env = StreamEnvironment.create({ supervision: { maxRestarts: 3, withinMs: 60_000, ...fast } });
  env
    .fromCollection(Array.from({ length: 50_000 }, (_, i) => i))
    .map((x) => {
      // A new record fails every 5000 calls: distinct failures, so no single poison record.
      if (++calls % 5000 === 0) throw new Error(`flaky dependency (call ${calls})`);
      return x;
    }, 'flaky')
    .sinkTo(new CollectSink());
  try {
    await env.execute('intensity');
    assert.unreachable('the job should fail');
  } catch (e) {
    assert.instance(e, JobFailedError);
    const cause = (e as Error).cause;
    assert.instance(cause, RestartIntensityError);
    assert.match((cause as Error).message, /gave up after 3 restarts within 60000 ms/);
    assert.match((cause as Error).message, /flaky dependency/);
  }
});

test('poison record: goes to dead letters with operator, error and the record; the job completes with everything else', async () => {
  const sink = new CollectSink<number>();
  const env = StreamEnvironment.create({ supervision: { maxRestarts: 2, ...fast } });
  env
    .fromCollection(Array.from({ length: 20_000 }, (_, i) => i))
    .map((x) => {
      if (x === 4242) throw new TypeError('cannot price record 4242');
      return x * 2;
    }, 'price')
    .sinkTo(sink);
  const result = await env.execute('poison');
  assert.is(result.deadLetterCount, 1);
  const letter = result.deadLetters[0]!;
  assert.is(letter.record, 4242);
  assert.is(letter.code, 'WEIR_USER_FUNCTION');
  assert.match(letter.reason, /cannot price record 4242/);
  assert.match(letter.reason, /price/);
  assert.ok(letter.stack && letter.stack.length > 0);
  const expected = Array.from({ length: 20_000 }, (_, i) => i).filter((x) => x !== 4242).map((x) => x * 2);
  assert.equal(sink.values, expected);
});

test('poison record with onPoisonRecord: fail → the job fails naming the operator', async () => {
  const env = StreamEnvironment.create({ onPoisonRecord: 'fail', supervision: { maxRestarts: 1, ...fast } });
  env
    .fromCollection([1, 2, 3])
    .map((x) => {
      if (x === 2) throw new Error('bad two');
      return x;
    }, 'strict')
    .sinkTo(new CollectSink());
  try {
    await env.execute('poison-fail');
    assert.unreachable();
  } catch (e) {
    assert.instance((e as Error).cause, PoisonRecordError);
    assert.match((e as Error).message, /bad two/);
    assert.match((e as Error).message, /strict/);
  }
});

test('supervisor strategies: one-for-all restarts every child, rest-for-one the failed and later ones; escalation reaches the parent', () => {
  const clock = new SimulatedClock(0);
  const restarted: string[] = [];
  const child = (id: string) => ({ id, kind: 'permanent' as const, restart: () => restarted.push(id), stop: () => {} });
  const a = child('a'), b = child('b'), c = child('c');
  const all = new Supervisor('all', { clock, strategy: 'one-for-all', random: () => 0.5 });
  [a, b, c].forEach((x) => all.add(x));
  all.childFailed(b, new Error('x'));
  clock.advance(10_000);
  assert.equal(restarted, ['a', 'b', 'c']);

  restarted.length = 0;
  const rest = new Supervisor('rest', { clock, strategy: 'rest-for-one', random: () => 0.5 });
  [a, b, c].forEach((x) => rest.add(x));
  rest.childFailed(b, new Error('x'));
  clock.advance(10_000);
  assert.equal(restarted, ['b', 'c']);

  let escalated: Error | undefined;
  const root = new Supervisor('root', { clock, maxRestarts: 0, onEscalate: (e) => (escalated = e) });
  const inner = new Supervisor('inner', { clock, maxRestarts: 1, withinMs: 1000 });
  root.add(inner);
  inner.add(a);
  inner.childFailed(a, new Error('first'));
  inner.childFailed(a, new Error('second'));
  assert.instance(escalated, RestartIntensityError);
  assert.match(escalated!.message, /root/);
});

test('backoff grows exponentially and temporary children are not restarted', () => {
  const clock = new SimulatedClock(0);
  const times: number[] = [];
  const s = new Supervisor('s', { clock, maxRestarts: 10, withinMs: 1e9, backoff: { initialMs: 10, maxMs: 1000, multiplier: 2, jitter: 0 } });
  const a = { id: 'a', kind: 'permanent' as const, restart: () => times.push(clock.now()), stop: () => {} };
  const t = { id: 't', kind: 'temporary' as const, restart: () => times.push(-1), stop: () => {} };
  s.add(a);
  s.add(t);
  for (let i = 0; i < 4; i++) {
    const before = clock.now();
    s.childFailed(a, new Error('x'));
    clock.advance(5000);
    times[times.length - 1] = times[times.length - 1]! - before;
  }
  assert.equal(times, [10, 20, 40, 80]);
  s.childFailed(t, new Error('x'));
  clock.advance(5000);
  assert.equal(times.length, 4);
});

test.run();
