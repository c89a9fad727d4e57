import { StreamEnvironment, type Sink } from '../../src/index.ts';
import { wallNow } from '../nats/stamped-trade.ts';
import { OpenLoopSchedule, pacedSource, type PacedTrade } from './paced-source.ts';
import { KeyedReceiver, addTotals, toTotal, type KeyedTotal, type ReceiverFigures } from './keyed-receiver.ts';

/** Runs the latency pipeline once: `count` records at `rate` (absent: as fast as it goes). */
export type Pipeline = (count: number, rate: number | undefined, warmupIds: number) => Promise<ReceiverFigures>;

/** A sink handing every batch to `receiver`. */
export function receiverSink(receiver: KeyedReceiver): Sink<KeyedTotal> {
  return {
    name: 'latency',
    createWriter: () => ({
      open() {},
      write(values) {
        receiver.receive(values);
      },
      close() {},
    }),
  };
}

/**
 * Builds the pipeline on `env`: paced source → map → keyBy → running count/sum → `sink`. At
 * parallelism 1 Weir fuses the keyed reduce into the source's chain (nothing to shuffle); with
 * `acrossNodes` a rebalance() ends the source's chain, so over two nodes the records cross NATS.
 */
export function buildLatencyJob(env: StreamEnvironment, count: number, rate: number | undefined, sink: Sink<KeyedTotal>, across?: { onSourceOpen: () => void; started?: Promise<void> }): void {
  const mapped = env.fromSource(pacedSource(count, rate, across?.onSourceOpen, across?.started)).map(toTotal);
  (across ? mapped.rebalance() : mapped)
    .keyBy((t) => t.key)
    .reduce(addTotals)
    .sinkTo(sink);
}

/** Weir embedded: the job in this process, default settings. */
export const weirEmbedded: Pipeline = async (count, rate, warmupIds) => {
  const receiver = new KeyedReceiver(warmupIds);
  const env = StreamEnvironment.create({ parallelism: 1 });
  buildLatencyJob(env, count, rate, receiverSink(receiver));
  await env.execute('latency');
  return receiver.report();
};

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The same pipeline as a plain loop: take what the schedule has due (at most 1024 records), map,
 * update a Map of running totals, hand the batch to the receiver; when nothing is due, sleep until
 * the next record is (a timer, as Weir's source waits).
 */
export const handLoop: Pipeline = async (count, rate, warmupIds) => {
  const receiver = new KeyedReceiver(warmupIds);
  const schedule = new OpenLoopSchedule(count, rate, wallNow());
  const totals = new Map<number, KeyedTotal>();
  const batch: PacedTrade[] = [];
  const out: KeyedTotal[] = [];
  while (!schedule.done()) {
    const n = schedule.due(wallNow(), 1024);
    if (n === 0) {
      await sleep(Math.max(1, Math.ceil(schedule.msToNext(wallNow()))));
      continue;
    }
    batch.length = 0;
    schedule.take(batch, n);
    out.length = n;
    for (let k = 0; k < n; k++) {
      const t = toTotal(batch[k]!);
      const previous = totals.get(t.key);
      const total = previous === undefined ? t : addTotals(previous, t);
      totals.set(t.key, total);
      out[k] = total;
    }
    receiver.receive(out);
  }
  return receiver.report();
};
