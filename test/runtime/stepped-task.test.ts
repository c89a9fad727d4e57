import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Scheduler, type Schedulable } from '../../src/runtime/scheduler.ts';
import { runInTurns } from '../../src/runtime/stepped-task.ts';

// Issue 24 (a 1M-key checkpoint under 200 ms): an asynchronous checkpoint's packing yielded to the
// event loop between steps and so waited for a whole scheduler slice of the actors' batches per
// step (~10 ms each, 45-57 per checkpoint: 626-750 ms for ~150 ms of work). It now runs as turns of
// the scheduler, between the actors' turns, taking at most twice the time spent outside it.

const spin = (ms: number) => {
  const until = performance.now() + ms;
  while (performance.now() < until);
};

/** An actor that is ready for `turns` turns (or until stopped), each `ms` of work, logging them. */
function busyActor(scheduler: Scheduler, turns: number, ms: number, log: string[]): Schedulable & { spent: number; stop(): void } {
  let left = turns;
  const actor = {
    queued: false,
    spent: 0,
    stop: () => {
      left = 0;
    },
    ready: () => left > 0,
    turn() {
      const t = performance.now();
      spin(ms);
      left--;
      log.push('a');
      actor.spent += performance.now() - t;
    },
  };
  scheduler.schedule(actor);
  return actor;
}

test('steps run between the actors turns, and every step runs', async () => {
  const scheduler = new Scheduler();
  const log: string[] = [];
  const actor = busyActor(scheduler, 1_000_000, 0.05, log);
  let steps = 0;
  function* work() {
    for (let i = 0; i < 40; i++) {
      spin(0.5);
      steps++;
      log.push('s');
      yield;
    }
  }
  // A zero budget: one step per turn of the work.
  await runInTurns(scheduler, work(), () => 0);
  actor.stop();
  assert.is(steps, 40);
  const trace = log.join('');
  // The work got its turns in the round-robin: never two of its steps without an actor turn between them.
  assert.not.ok(trace.includes('ss'), trace.slice(0, 200));
  assert.ok(actor.spent > 0);
});

test('the work takes at most twice the time spent outside it', async () => {
  const scheduler = new Scheduler();
  const log: string[] = [];
  const actor = busyActor(scheduler, 1_000_000, 0.1, log);
  let inWork = 0;
  const started = performance.now();
  function* work() {
    for (let i = 0; i < 60; i++) {
      const t = performance.now();
      spin(1);
      inWork += performance.now() - t;
      yield;
    }
  }
  await runInTurns(scheduler, work(), () => 2);
  actor.stop();
  const outside = performance.now() - started - inWork;
  // Its first turn may spend one budget before anything ran outside, and a turn may overrun by one step.
  assert.ok(inWork <= 2 * outside + 2 + 1 + 1, `work ${inWork.toFixed(1)} ms, outside ${outside.toFixed(1)} ms`);
  // A busy job is not starved: with 0.1 ms batches, some hundreds of them ran meanwhile.
  assert.ok(log.length >= 60, `${log.length} actor turns`);
});

test('with nothing else to run, the work runs in long turns, not one step per event-loop turn', async () => {
  const scheduler = new Scheduler();
  let steps = 0;
  function* work() {
    for (let i = 0; i < 200; i++) {
      steps++;
      yield;
    }
  }
  const before = scheduler.stats().slices;
  await runInTurns(scheduler, work(), () => 2);
  assert.is(steps, 200);
  // 200 near-empty steps fit in one 2 ms turn; yielding per step would have taken 200 slices.
  assert.ok(scheduler.stats().slices - before < 20, `${scheduler.stats().slices - before} slices`);
});

test('a step that throws rejects the work, and the scheduler goes on', async () => {
  const scheduler = new Scheduler();
  const log: string[] = [];
  function* work(): Generator<void> {
    yield;
    throw new Error('part 3 could not be packed');
  }
  const error = await runInTurns(scheduler, work(), () => 0).then(
    () => undefined,
    (e: Error) => e,
  );
  assert.match(String(error), /part 3 could not be packed/);
  busyActor(scheduler, 3, 0, log);
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  assert.is(log.length, 3);
});

test.run();
