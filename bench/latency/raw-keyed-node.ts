// The `nats-raw` baseline of the `latency` scenario: the same pipeline written by hand on plain
// nats.js + msgpackr. The publisher follows the open-loop schedule, packing what is due (at most
// 1024 records) into one message; the subscriber maps, keeps running totals in a Map and records
// latency as Weir's sink does.
//
//   tsx bench/latency/raw-keyed-node.ts subscribe|publish <nats-url> <subject>   (COUNT, RATE, WARMUP_IDS)
//
// Flow control is the one Weir's channels use (as in bench/nats/raw-node.ts): the subscriber grants
// cumulative credit on `<subject>.credit` after every batch, starting with a window of 8 batches.
// The publisher ends with an empty message; the subscriber prints its figures as one JSON line.
import { connect } from '@nats-io/transport-node';
import { Packr } from 'msgpackr';
import { cpuSeconds, wallNow } from '../nats/stamped-trade.ts';
import { OpenLoopSchedule, type PacedTrade } from './paced-source.ts';
import { KeyedReceiver, addTotals, toTotal, type KeyedTotal } from './keyed-receiver.ts';

const BATCH = 1024;
const WINDOW = 8;

const [role, url, subject] = process.argv.slice(2);
const count = Number(process.env.COUNT ?? 100_000);
const rate = process.env.RATE ? Number(process.env.RATE) : undefined;
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const packr = new Packr();
const nc = await connect({ servers: url! });
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

if (role === 'subscribe') {
  const receiver = new KeyedReceiver(Number(process.env.WARMUP_IDS ?? 0));
  const totals = new Map<number, KeyedTotal>();
  let handled = 0;
  let finish!: () => void;
  const finished = new Promise<void>((r) => (finish = r));
  const grant = () => nc.publish(`${subject}.credit`, encoder.encode(String(handled + WINDOW)));
  nc.subscribe(subject!, {
    callback: (_err, msg) => {
      if (msg.data.length === 0) return finish();
      const batch = packr.unpack(msg.data) as PacedTrade[];
      const out = new Array<KeyedTotal>(batch.length);
      for (let k = 0; k < batch.length; k++) {
        const t = toTotal(batch[k]!);
        const previous = totals.get(t.key);
        const total = previous === undefined ? t : addTotals(previous, t);
        totals.set(t.key, total);
        out[k] = total;
      }
      receiver.receive(out);
      handled++;
      grant();
    },
  });
  nc.subscribe(`${subject}.hello`, { callback: () => grant() });
  await nc.flush();
  console.log('ready');
  await finished;
  console.log(JSON.stringify({ source: false, sink: true, cpuSeconds: cpuSeconds(), ...receiver.report() }));
} else if (role === 'publish') {
  let granted = 0;
  let wake: (() => void) | undefined;
  nc.subscribe(`${subject}.credit`, {
    callback: (_err, msg) => {
      const total = Number(decoder.decode(msg.data));
      if (total > granted) {
        granted = total;
        wake?.();
      }
    },
  });
  await nc.flush();
  nc.publish(`${subject}.hello`);
  const schedule = new OpenLoopSchedule(count, rate, wallNow());
  const batch: PacedTrade[] = [];
  let batches = 0;
  while (!schedule.done()) {
    while (batches >= granted) await new Promise<void>((r) => (wake = r));
    const n = schedule.due(wallNow(), BATCH);
    if (n === 0) {
      await sleep(Math.max(1, Math.ceil(schedule.msToNext(wallNow()))));
      continue;
    }
    batch.length = 0;
    schedule.take(batch, n);
    nc.publish(subject!, packr.pack(batch));
    batches++;
    // Let the socket write and credits arrive between batches, as an actor yields between turns.
    if (batches % WINDOW === 0) await new Promise((r) => setImmediate(r));
  }
  nc.publish(subject!, new Uint8Array(0));
  await nc.flush();
  console.log(JSON.stringify({ source: true, sink: false, cpuSeconds: cpuSeconds() }));
} else {
  console.error(`usage: raw-keyed-node.ts subscribe|publish <nats-url> <subject>, got '${role}'`);
  process.exit(2);
}
await nc.drain();
