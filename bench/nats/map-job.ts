// One node's share of the `nats-map` bench job: `weir run bench/nats/map-job.ts --nats … --node a --nodes a,b`
// with EVENTS, and RATE (records/s, absent: as fast as it goes) in the environment.
// The generator runs on node a; rebalance() ends the chain there, so map and sink run on node b and
// every record crosses NATS. Prints one JSON line: which roles ran here, its CPU seconds and, on the sink's node, its report.
import { StreamEnvironment, type Sink } from '../../src/index.ts';
import { SEED } from '../workloads.ts';
import { Receiver, cpuSeconds, discountStamped, stampedTrade, type StampedTrade } from './stamped-trade.ts';

const events = Number(process.env.EVENTS ?? 1_000_000);
const rate = process.env.RATE ? Number(process.env.RATE) : undefined;
const stamp = rate !== undefined;
// Latency is sampled after the first half second of records (JIT warm-up, first credits).
const receiver = new Receiver(stamp ? Math.floor(rate! / 2) : events);
let generated = false;
let received = false;

const sink: Sink<StampedTrade> = {
  name: 'count-and-latency',
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
env
  .fromGenerator((i, r) => {
    generated = true;
    return stampedTrade(i, r, stamp);
  }, { count: events, seed: SEED, ratePerSecond: rate, name: 'trades' })
  .rebalance()
  .map(discountStamped)
  .sinkTo(sink);
await env.execute('nats-map');
console.log(JSON.stringify({ source: generated, sink: received, cpuSeconds: cpuSeconds(), ...(received ? receiver.report() : {}) }));
