// The `nats-raw` baseline of the `nats-map` scenario: the same records as the Weir job, packed with
// msgpackr in 1024-record batches and carried by plain nats.js from a publisher process to a
// subscriber process, which maps, counts and checks them.
//
//   tsx bench/nats/raw-node.ts subscribe|publish <nats-url> <subject>   (EVENTS, RATE as for map-job.ts)
//
// Flow control is the one Weir's channels use, so the comparison is like for like: the subscriber
// grants cumulative credit ("you may have sent N batches") on `<subject>.credit` after every batch
// it has handled, starting with a window of WINDOW batches; the publisher publishes only with credit.
// Nothing is dropped and the server never holds more than WINDOW batches for the subscriber.
// The publisher ends with an empty message; the subscriber prints its report as one JSON line.
import { connect } from '@nats-io/transport-node';
import { Packr } from 'msgpackr';
import { Receiver, cpuSeconds, discountStamped, stampedTrade, tradeRandom, type StampedTrade } from './stamped-trade.ts';

const BATCH = 1024;
/** Batches in flight, as Weir's default channel capacity. */
const WINDOW = 8;

const [role, url, subject] = process.argv.slice(2);
const events = Number(process.env.EVENTS ?? 1_000_000);
const rate = process.env.RATE ? Number(process.env.RATE) : undefined;
const encoder = new TextEncoder();
const decoder = new TextDecoder();
// Plain msgpackr defaults (record extension on, no structures shared between messages): what a
// hand-written publisher would use.
const packr = new Packr();
const nc = await connect({ servers: url! });

if (role === 'subscribe') {
  const receiver = new Receiver(rate !== undefined ? Math.floor(rate / 2) : events);
  let handled = 0;
  let finish!: () => void;
  const finished = new Promise<void>((r) => (finish = r));
  const grant = () => nc.publish(`${subject}.credit`, encoder.encode(String(handled + WINDOW)));
  nc.subscribe(subject!, {
    callback: (_err, msg) => {
      if (msg.data.length === 0) return finish();
      const batch = packr.unpack(msg.data) as StampedTrade[];
      const mapped = new Array<StampedTrade>(batch.length);
      for (let k = 0; k < batch.length; k++) mapped[k] = discountStamped(batch[k]!);
      receiver.receive(mapped);
      handled++;
      grant();
    },
  });
  // The publisher asks for the first grant once it listens for credit.
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
  const random = tradeRandom();
  const stamp = rate !== undefined;
  const startedAt = performance.now();
  let sent = 0;
  let batches = 0;
  while (sent < events) {
    while (batches >= granted) await new Promise<void>((r) => (wake = r));
    let n = Math.min(BATCH, events - sent);
    if (rate !== undefined) {
      // Rate-limited like the generator source: what the rate allows by now, at most a batch; else wait a millisecond.
      n = Math.min(n, Math.floor(((performance.now() - startedAt) * rate) / 1000) - sent);
      if (n <= 0) {
        await new Promise((r) => setTimeout(r, 1));
        continue;
      }
    }
    const batch = new Array<StampedTrade>(n);
    for (let k = 0; k < n; k++) batch[k] = stampedTrade(sent + k, random.reset(sent + k), stamp);
    nc.publish(subject!, packr.pack(batch));
    sent += n;
    batches++;
    // Let the socket write and credits arrive between batches, as an actor yields between turns.
    if (batches % WINDOW === 0) await new Promise((r) => setImmediate(r));
  }
  nc.publish(subject!, new Uint8Array(0));
  await nc.flush();
  console.log(JSON.stringify({ source: true, sink: false, cpuSeconds: cpuSeconds() }));
} else {
  console.error(`usage: raw-node.ts subscribe|publish <nats-url> <subject>, got '${role}'`);
  process.exit(2);
}
await nc.drain();
