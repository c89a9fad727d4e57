// One node's share of the `latency` scenario over NATS:
//   weir run bench/latency/keyed-job.ts --nats … --node a|b --nodes a,b
// with COUNT, RATE (records/s; absent: as fast as it goes), WARMUP_IDS and NATS_URL in the environment.
// The paced schedule starts only when the sink's node says it is up (on its own connection,
// subject `<READY_SUBJECT>`), and 200 ms later (the first credit grants): both processes start at
// once, and a slower start of one must not show as latency of the first records.
// At parallelism 1 the source runs on node a and a rebalance ends its chain, so the keyed reduce and the
// sink run on node b: every record crosses NATS. Prints one JSON line: which roles ran here, its
// CPU seconds and, on the sink's node, the receiver's figures.
import { connect } from '@nats-io/transport-node';
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
const nc = await connect({ servers: process.env.NATS_URL! });
const readySubject = process.env.READY_SUBJECT ?? 'latency.ready';
let sinkUp!: () => void;
const started = new Promise<void>((resolve) => (sinkUp = resolve)).then(() => new Promise<void>((r) => setTimeout(r, 200)));
nc.subscribe(readySubject, { max: 1, callback: () => sinkUp() });
let announcing: ReturnType<typeof setInterval> | undefined;
const sink: Sink<KeyedTotal> = {
  name: 'latency',
  createWriter: () => ({
    open() {
      received = true;
      // Repeated until records arrive: the source's node may subscribe after the first one.
      announcing = setInterval(() => nc.publish(readySubject), 50);
      nc.publish(readySubject);
    },
    write(values) {
      if (announcing) announcing = void clearInterval(announcing);
      receiver.receive(values);
    },
    close() {
      if (announcing) announcing = void clearInterval(announcing);
    },
  }),
};
// CHANNEL_CAPACITY (credits per channel, default 8): for experiments with the flow-control window.
const env = StreamEnvironment.create({ parallelism: 1, ...(process.env.CHANNEL_CAPACITY ? { channelCapacity: Number(process.env.CHANNEL_CAPACITY) } : {}) });
buildLatencyJob(env, count, rate, sink, { onSourceOpen: () => (generated = true), started });
await env.execute('latency');
await nc.drain();
console.log(JSON.stringify({ source: generated, sink: received, cpuSeconds: cpuSeconds(), ...(received ? receiver.report() : {}) }));
