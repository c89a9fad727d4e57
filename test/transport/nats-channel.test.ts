import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect } from '@nats-io/transport-node';
import { startNatsServer } from '../support/nats-server.ts';
import { NatsInputChannel, NatsOutputChannel, channelSubject } from '../../src/transport/nats-channel.ts';
import { Packr } from 'msgpackr';
import { FRAME_VERSION, encodeFrames } from '../../src/transport/frame-codec.ts';
import type { Envelope, RecordsEnvelope } from '../../src/transport/envelope.ts';
import { BadFrameError, type SequenceGapError } from '../../src/errors.ts';

function batch(seq: number, n: number, width = 1): RecordsEnvelope {
  return { kind: 'records', seq, values: Array.from({ length: n }, (_, i) => ({ i: seq + i, pad: 'x'.repeat(width) })), timestamps: Array.from({ length: n }, (_, i) => seq + i) };
}

/** Sends `envelopes` through the channel as credits allow, and reads them at the receiver's pace. */
async function pump(out: NatsOutputChannel, input: NatsInputChannel, envelopes: Envelope[], slowMs = 0): Promise<Envelope[]> {
  const received: Envelope[] = [];
  let next = 0;
  const sendWhileCredit = () => {
    while (next < envelopes.length && out.credits() > 0) out.send(envelopes[next++]!);
  };
  out.onCredit(sendWhileCredit);
  sendWhileCredit();
  let wanted = 0;
  for (const e of envelopes) wanted += e.kind === 'records' ? e.values.length : 0;
  let got = 0;
  return new Promise((resolve) => {
    const drain = async () => {
      for (let e = input.poll(); e !== undefined; e = input.poll()) {
        received.push(e);
        if (e.kind === 'records') got += e.values.length;
        if (slowMs) await new Promise((r) => setTimeout(r, slowMs));
      }
      if (got >= wanted && received.some((e) => e.kind === 'end')) resolve(received);
    };
    input.onData(() => void drain());
    void drain();
  });
}

test('ordered delivery of many batches, in-band control events, a batch above max_payload split into frames', async () => {
  await using server = await startNatsServer({ maxPayload: 64 * 1024 });
  const nc = await connect({ servers: server.url });
  const subject = channelSubject('weir', 'job', 0, 0, 1);
  const problems: unknown[] = [];
  const input = new NatsInputChannel(nc, 'c', subject, 4, { badFrame: (e) => problems.push(e), gap: (e) => problems.push(e) });
  const out = new NatsOutputChannel(nc, 'c', subject);
  const envelopes: Envelope[] = [];
  let seq = 0;
  for (let b = 0; b < 200; b++) {
    const n = b === 100 ? 2000 : 50; // batch 100 is ~200 KB: several frames
    envelopes.push(batch(seq, n, b === 100 ? 100 : 1));
    seq += n;
    if (b % 50 === 0) envelopes.push({ kind: 'watermark', seq, time: seq });
  }
  envelopes.push({ kind: 'end', seq });
  const received = await pump(out, input, envelopes);
  const values = received.flatMap((e) => (e.kind === 'records' ? (e.values as Array<{ i: number }>).map((v) => v.i) : []));
  assert.equal(values, Array.from({ length: seq }, (_, i) => i), 'every record once, in order');
  assert.equal(received.filter((e) => e.kind !== 'records').map((e) => e.kind), [...Array(4).fill('watermark'), 'end']);
  assert.ok(out.framesOut > envelopes.length, 'the big batch went out as several frames');
  assert.equal(problems, []);
  out.close();
  input.close();
  await nc.close();
});

test('a slow receiver throttles the sender by credits: never more than capacity in flight, no slow consumer', async () => {
  await using server = await startNatsServer();
  const nc = await connect({ servers: server.url });
  const subject = channelSubject('weir', 'slow', 0, 0, 0);
  const input = new NatsInputChannel(nc, 'c', subject, 3, { badFrame: () => {}, gap: () => {} });
  const out = new NatsOutputChannel(nc, 'c', subject);
  const envelopes: Envelope[] = Array.from({ length: 60 }, (_, b) => batch(b * 10, 10));
  envelopes.push({ kind: 'end', seq: 600 });
  const origSend = out.send.bind(out);
  let sent = 0;
  out.send = (e) => {
    origSend(e);
    sent++;
  };
  const received = await pump(out, input, envelopes, 3);
  assert.is(received.length, envelopes.length);
  assert.ok(input.peakSize() <= 3, `receiver held at most its capacity (peak ${input.peakSize()})`);
  assert.ok(sent === envelopes.length);
  assert.not.match(server.logTail(), /slow consumer/i, 'the server saw no slow consumer');
  out.close();
  input.close();
  await nc.close();
});

test('garbage bytes, a frame of another version and an oversize frame go to dead letters; the channel goes on; a gap is reported', async () => {
  await using server = await startNatsServer({ maxPayload: 1024 * 1024 });
  const nc = await connect({ servers: server.url });
  const subject = channelSubject('weir', 'bad', 0, 0, 0);
  const bad: Array<{ error: BadFrameError; subject: string }> = [];
  const gaps: SequenceGapError[] = [];
  let gapSeen!: () => void;
  const gapReported = new Promise<void>((r) => (gapSeen = r));
  const input = new NatsInputChannel(nc, 'c', subject, 4, { badFrame: (error, _raw, s) => bad.push({ error, subject: s }), gap: (e) => { gaps.push(e); gapSeen(); } }, 64 * 1024);
  const out = new NatsOutputChannel(nc, 'c', subject, 64 * 1024);
  nc.publish(subject, new Uint8Array([0xc1, 0x00, 0xff, 0x13])); // not msgpack
    nc.publish(subject, new Packr({ useRecords: false }).pack({ v: 99, s: 0, e: { kind: 'end', seq: 0 } }));
  nc.publish(subject, new Uint8Array(100 * 1024)); // larger than this channel allows
  // A current-version frame whose records do not fit their shapes (3 records, values for 2).
  nc.publish(subject, new Packr({ moreTypes: true }).pack({ v: FRAME_VERSION, s: 0, e: { kind: 'records', seq: 0, r: { n: 3, k: [['i']], i: null, f: [1, 2] }, timestamps: null } }));
  await nc.flush();
  const received = await pump(out, input, [batch(0, 5), { kind: 'end', seq: 5 }]);
  assert.is(received.length, 2, 'the real envelopes still arrived');
  assert.is(bad.length, 4);
  assert.ok(bad.every((b) => b.error instanceof BadFrameError && b.subject === subject));
  assert.match(bad.map((b) => b.error.message).join('\n'), /not a msgpack frame[\s\S]*version 99 is not supported[\s\S]*exceeds the 65536 allowed[\s\S]*2 values for 3 records of 1 keys/, bad.map((b) => b.error.message).join('\n'));
  // A frame from further ahead than expected: frames were lost.
  nc.publish(subject, encodeFrames({ kind: 'end', seq: 5 }, 50, 64 * 1024)[0]!);
  await gapReported;
  assert.is(gaps.length, 1);
  assert.match(gaps[0]!.message, /expected sequence 2 but got 50/);
  out.close();
  input.close();
  await nc.close();
});

test.run();
