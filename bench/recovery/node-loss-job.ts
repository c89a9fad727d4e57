// One node's share of the `recovery` scenario's node-loss run:
//   weir run bench/recovery/node-loss-job.ts --nats … --node a|b --nodes a,b --checkpoint-dir <dir>
// with COUNT, RATE and OUT (the exactly-once JSONL output directory) in the environment.
// Prints `RUNNING` once records flow, and on stderr `OUT <wall ms>` when outputs pass (at most one
// line per 10 ms), after the CLI's own `restarts job … from checkpoint` line when it rolls back:
// the bench reads from them when output resumed after a node was killed.
import { StreamEnvironment, fileSink } from '../../src/index.ts';
import { wallNow } from '../nats/stamped-trade.ts';
import { recoveryStream } from './recovery-pipeline.ts';

const count = Number(process.env.COUNT ?? 60_000);
const rate = Number(process.env.RATE ?? 10_000);
const env = StreamEnvironment.create({ parallelism: 2, checkpointing: { intervalMs: 100 }, restartStrategy: { kind: 'fixed-delay', attempts: 3, delayMs: 50 } });
let seen = 0;
let printedAt = 0;
recoveryStream(env, count, rate, (t) => {
  if (++seen === 5_000) console.log('RUNNING');
  const now = wallNow();
  if (now - printedAt >= 10) {
    printedAt = now;
    console.error(`OUT ${now}`);
  }
  return t;
})
  .map((t) => [t.id, t.key, t.count, t.sum])
  .sinkTo(fileSink({ directory: process.env.OUT! }));
await env.execute('node-loss');
console.log(JSON.stringify({ done: true }));
