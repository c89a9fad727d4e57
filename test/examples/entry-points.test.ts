import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runNodeToEnd } from '../support/run-to-end.ts';
import { natsUrlFromArgs, scaleFromArgs } from '../../examples/shared/cli.ts';

/** Runs an example's entry point as `npm run example:<name>` does, at a small scale. */
const run = (name: string, args: string[]) => runNodeToEnd(['--import', 'tsx', `examples/${name}/main.ts`, ...args]);

test('each example runs from its entry point, prints its summary and finds itself equal to the reference after its injected crash', async () => {
  const runs = await Promise.all([
    run('traffic', ['--scale', '0.03']),
    run('recommendation', ['--scale', '0.03']),
    run('monitoring', ['--scale', '0.01']),
  ]);
  for (const [i, name] of ['traffic', 'recommendation', 'monitoring'].entries()) {
    const r = runs[i]!;
    assert.is(r.code, 0, `${name}: ${r.stderr}`);
    assert.match(r.stdout, /restarts 1, dead letters 0; against the plain-TypeScript reference: equal in \d+ ms/, `${name}: ${r.stdout}`);
  }
  assert.match(runs[0]!.stdout, /sessions \([\d.]+ pages on average\), \d+ hourly funnels/);
  assert.match(runs[1]!.stdout, /\d+ recommendations, [\d.]+% with at least one related item/);
  assert.match(runs[2]!.stdout, /silent open \d+/);
});

test('an unreachable NATS gets one clear line and a non-zero exit, no stack; so does --nats without a URL', async () => {
  const unreachable = await run('recommendation', ['--nats', 'nats://127.0.0.1:1', '--scale', '0.01']);
  assert.is(unreachable.code, 1);
  assert.match(unreachable.stderr.trim(), /^error: cannot reach NATS at nats:\/\/127\.0\.0\.1:1 \([^)]*\); is a nats-server with JetStream running there\? \(start one with 'nats-server -js'\)$/);
  assert.throws(() => natsUrlFromArgs(['--nats']), /--nats needs a URL, e\.g\. --nats nats:\/\/127\.0\.0\.1:4222/);
  assert.throws(() => natsUrlFromArgs(['--nats', '--scale']), /--nats needs a URL/);
  assert.is(natsUrlFromArgs(['--nats=nats://h:1']), 'nats://h:1');
  assert.is(natsUrlFromArgs([]), undefined);
  assert.throws(() => scaleFromArgs(['--scale', 'x']), /--scale needs a positive number/);
  assert.is(scaleFromArgs(['--scale', '0.5']), 0.5);
});

test.run();
