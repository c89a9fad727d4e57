import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect } from '@nats-io/transport-node';
import { Packr } from 'msgpackr';
import { startNatsServer } from '../support/nats-server.ts';
import { weir } from './cli-process.ts';

const JOB = 'test/cluster/fixtures/slow-receiver.job.ts';

interface Report {
  sink: boolean;
  written: number;
  idSum: number;
  peak: number;
  capacity: number;
  deadLetters: Array<{ code: string; reason: string; source?: string }>;
  deadLetterCount: number;
}

// The job's own report; `weir run` off a terminal also prints its live status as JSON lines (those have a `job` field).
const lastJson = (out: string): Report => JSON.parse(out.trim().split('\n').filter((l) => l.startsWith('{"sink"')).pop()!) as Report;

test('a slow receiving node throttles the sender by credits (no slow consumer, inputs bounded); garbage frames on its data subject go to dead letters and the job completes exactly', async () => {
  await using server = await startNatsServer();
  const prefix = 'flow';
  // Data subjects are <prefix>-a<attempt>.<job>.<edge>.<from>.<to>; credit subjects have one token more.
  const spy = await connect({ servers: server.url });
  let dataSubject: string | undefined;
  let found!: () => void;
  const subjectSeen = new Promise<void>((r) => (found = r));
  // (The cluster job adds the attempt to the prefix: flow-a1.slow-receiver.0.0.0.)
  spy.subscribe(`*.slow-receiver.*.*.*`, {
    max: 1,
    callback: (_e, m) => {
      dataSubject = m.subject;
      found();
    },
  });
  await spy.flush();
  const common = ['run', JOB, '--nats', server.url, '--nodes', 'a,b', '--subject-prefix', prefix];
  const a = weir([...common, '--node', 'a']);
  const b = weir([...common, '--node', 'b']);
  await Promise.race([subjectSeen, a.exit, b.exit]);
  assert.ok(dataSubject, `no data subject seen\n${a.output()}\n${b.output()}`);
  // The sink needs >= 0.6 s for its 20k records after its first write: the garbage arrives mid-run.
  await Promise.any([a.waitFor('FLOWING'), b.waitFor('FLOWING')]);
  spy.publish(dataSubject!, new Uint8Array([0xc1, 0xff, 0x00, 0x13, 0x37])); // not msgpack
  spy.publish(dataSubject!, new Packr({ useRecords: false }).pack({ v: 99, s: 0, e: { kind: 'end', seq: 0 } })); // another frame version
  await spy.flush();
  const [ca, cb] = await Promise.all([a.exit, b.exit]);
  assert.is(ca, 0, a.output());
  assert.is(cb, 0, b.output());
  const reports = [lastJson(a.output()), lastJson(b.output())];
  const receiver = reports.find((r) => r.sink)!;
  assert.ok(receiver, 'one node ran the sink');
  assert.ok(!reports.every((r) => r.sink), 'the sink ran on one node only: the edge crossed NATS');
  const n = 20_000;
  assert.is(receiver.written, n, 'nothing lost or duplicated (count)');
  assert.is(receiver.idSum, (n * (n - 1)) / 2, 'nothing lost or duplicated (id sum)');
  for (const r of reports) assert.ok(r.peak <= r.capacity, `an input held ${r.peak} envelopes, more than its capacity ${r.capacity}`);
  assert.ok(receiver.peak >= 2, `the slow side's input filled up (peak ${receiver.peak}): the sender was ahead and waited for credit`);
  assert.is(receiver.deadLetterCount, 2, JSON.stringify(receiver.deadLetters));
  const reasons = receiver.deadLetters.map((d) => `${d.code}: ${d.reason} @ ${d.source}`).join('\n');
  assert.match(reasons, /not a msgpack frame/);
  assert.match(reasons, /frame version 99 is not supported/);
  assert.ok(receiver.deadLetters.every((d) => d.source === dataSubject), reasons);
  assert.not.match(server.logTail(), /slow consumer/i, 'the server saw no slow consumer');
  await spy.close();
});

test.run();
