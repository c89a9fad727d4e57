// One node's share of the `latency` scenario over NATS:
//   weir run bench/latency/keyed-job.ts --nats … --node a|b --nodes a,b
// with COUNT, RATE (records/s; absent: as fast as it goes) and WARMUP_IDS in the environment.
// At parallelism 1 the source runs on node a and a rebalance ends its chain, so the keyed reduce and the
// sink run on node b: every record crosses NATS. Prints one JSON line: which roles ran here, its
// CPU seconds and, on the sink's node, the receiver's figures.
import { StreamEnvironment } from '../../src/index.ts';
import { cpuSeconds } from '../nats/stamped-trade.ts';
import { KeyedReceiver, type KeyedTotal } from './keyed-receiver.ts';
import { buildLatencyJob } from './pipelines.ts';
import type { Sink } from '../../src/index.ts';

const count = Number(process.env.COUNT ?? 100_000);
const rate = process.env.RATE ? Number(process.env.RATE) : undefined;
const receiver = new KeyedReceiver(Number(process.env.WARMUP_IDS ?? 0));
let received = false;
let generated = false;
const sink: Sink<KeyedTotal> = {
  name: 'latency',
  createWriter: () => ({
    open() {
      received = true;
    },
    write(values) {
      receiver.receive(values);
    },
    close() {},
  }),
};
const env = StreamEnvironment.create({ parallelism: 1 });
buildLatencyJob(env, count, rate, sink, { onSourceOpen: () => (generated = true) });
await env.execute('latency');
console.log(JSON.stringify({ source: generated, sink: received, cpuSeconds: cpuSeconds(), ...(received ? receiver.report() : {}) }));
