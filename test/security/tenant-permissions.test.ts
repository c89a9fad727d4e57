import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { Objm } from '@nats-io/obj';
import { startNatsServer } from '../support/nats-server.ts';
import { weir, weirRun } from '../cluster/cli-process.ts';
import { connectCluster } from '../../src/index.ts';
import { permissionsConfig, permissionsVariable } from '../../src/security/permissions.ts';
import { readAll } from '../support/jetstream-read.ts';

const password = () => randomBytes(12).toString('hex');
const users = { 'ta-node': password(), 'ta-submitter': password(), 'ta-reader': password(), 'tb-node': password(), 'tb-submitter': password(), 'tb-reader': password() } as const;
type User = keyof typeof users;

/** The server configuration: `weir permissions` output for both tenants, and one user per role. */
async function serverConfig(): Promise<string> {
  const a = await weirRun(['permissions', '--tenant', 'ta', '--job', 'ja']);
  assert.is(a.code, 0, a.output);
  const role = (u: User) => permissionsVariable(u.slice(0, 2), u.slice(3) as 'node');
  const list = (Object.keys(users) as User[]).map((u) => `{ user: ${u}, password: "${users[u]}", permissions: $${role(u)} }`);
  return `${a.output}\n${permissionsConfig('tb', ['jb'])}\nauthorization { users: [ ${list.join(', ')} ] }`;
}

/** The errors a connection reports, as they come (the server answers a violation before the PONG of a later flush). */
function reportedErrors(nc: NatsConnection): string[] {
  const seen: string[] = [];
  void (async () => {
    for await (const s of nc.status()) if (s.type === 'error') seen.push((s as { error?: Error }).error?.message ?? '');
  })();
  return seen;
}

async function rejection(what: Promise<unknown>): Promise<string> {
  try {
    await what;
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('was allowed');
}

test("with the config 'weir permissions' prints, tenant A's node, submitter and reader run a job; A's node is refused at once on tenant B's subjects, streams, KV and object buckets", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'weir-perm-'));
  try {
    await using server = await startNatsServer({ config: await serverConfig() });
    // Tenant B's cluster state exists, with a job record and a bundle.
    const b = await connect({ servers: server.url, user: 'tb-node', pass: users['tb-node'], inboxPrefix: '_INBOX_tb' });
    await connectCluster(b, 'tb');
    await (await new Kvm(jetstream(b)).open('tb_jobs')).put('job.jb', '{"secret":1}');
    await (await new Objm(jetstream(b)).open('tb_bundles')).putBlob({ name: 'jb-1' }, new TextEncoder().encode('code'));

    // Tenant A runs a job with three roles, passwords in the environment (never on the command line).
    const as = (u: User) => ({ args: ['--nats', server.url, '--subject-prefix', 'ta', '--user', u], env: { NATS_PASSWORD: users[u], OUT: join(dir, 'out') } });
    const node = weir(['node', '--name', 'a', '--slots', '2', ...as('ta-node').args], as('ta-node').env);
    try {
      await node.waitFor('node a joined');
      const submit = await weirRun(['submit', 'test/cli/fixtures/windowed-counts.job.ts', '--name', 'ja', '--parallelism', '2', '--wait', ...as('ta-submitter').args], as('ta-submitter').env);
      assert.is(submit.code, 0, submit.output + node.output() + server.logTail().slice(-3000));
      const jobs = await weirRun(['jobs', ...as('ta-reader').args], as('ta-reader').env);
      assert.match(jobs.output, /ja\s+completed/, jobs.output);
      const reader = await connect({ servers: server.url, user: 'ta-reader', pass: users['ta-reader'], inboxPrefix: '_INBOX_ta' });
      const refused = await rejection((await connectCluster(reader, 'ta')).submit({ file: 'test/cli/fixtures/windowed-counts.job.ts', name: 'ja2', parallelism: 1 }));
      assert.match(refused, /Permissions Violation for Publish to "[^"]*ta_bundles/, refused);
      await reader.close();
    } finally {
      node.child.kill('SIGTERM');
      await node.exit;
    }
    assert.ok(readdirSync(join(dir, 'out')).some((f) => f.endsWith('.jsonl')), 'the job wrote its output');

    // Tenant A's node credentials against tenant B.
    const a = await connect({ servers: server.url, user: 'ta-node', pass: users['ta-node'], inboxPrefix: '_INBOX_ta' });
    try {
      const errors = reportedErrors(a);
      a.publish('tb.jb.0.0.1', 'forged frame');
      const subs = ['tb.jb.>', '_INBOX.>', '_INBOX_tb.>', '$KV.tb_jobs.>'].map((subject) => a.subscribe(subject));
      await a.flush();
      // The violations came before the PONG; let the status iterator hand them over.
      await new Promise((resolve) => setImmediate(resolve));
      assert.ok(errors.some((e) => e.includes('Permissions Violation for Publish to "tb.jb.0.0.1"')), errors.join('\n'));
      for (const sub of subs) {
        assert.ok(sub.isClosed(), `subscription to ${sub.getSubject()} was refused`);
        assert.ok(errors.some((e) => e.includes(`Permissions Violation for Subscription to "${sub.getSubject()}"`)), errors.join('\n'));
      }
      const jsm = await jetstreamManager(a);
      assert.match(await rejection(jsm.streams.info('KV_tb_jobs')), /Permissions Violation for Publish to "\$JS\.API\.STREAM\.INFO\.KV_tb_jobs"/);
      assert.match(await rejection(jsm.streams.purge('OBJ_tb_bundles')), /Permissions Violation/);
      assert.match(await rejection((async () => (await new Kvm(jetstream(a)).open('tb_jobs')).get('job.jb'))()), /Permissions Violation for Publish to "\$JS\.API\.(DIRECT|STREAM\.MSG)\.GET\.KV_tb_jobs/);
      assert.match(await rejection((async () => (await new Objm(jetstream(a)).open('tb_bundles')).getBlob('jb-1'))()), /Permissions Violation/);
      assert.match(await rejection(jetstream(a).publish('$KV.tb_jobs.job.jb', '{"status":"running"}')), /Permissions Violation for Publish to "\$KV\.tb_jobs\.job\.jb"/);
      // A tenant's own prefix but another job: refused too (the node's permissions name its jobs).
      assert.match(await rejection(jsm.streams.info('OBJ_ta_chk_other')), /Permissions Violation/);
    } finally {
      await a.close();
    }
    // The weir command with A's node credentials on B's prefix fails at once, saying why.
    const intruder = await weirRun(['node', '--name', 'x', '--nats', server.url, '--subject-prefix', 'tb', '--user', 'ta-node'], { NATS_PASSWORD: users['ta-node'] });
    assert.is.not(intruder.code, 0);
    assert.match(intruder.output, /weir: cannot open the cluster's JetStream buckets.*Permissions Violation/, intruder.output);
    await b.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a tenant's node with the permissions of 'weir permissions --source-stream --sink-subject' runs its JetStream source → sink job; its job cannot read another tenant's stream, and its node credentials cannot touch it", async () => {
  const admin = password();
  const a = await weirRun(['permissions', '--tenant', 'ta', '--job', 'ja,jx', '--source-stream', 'TA_IN', '--sink-subject', 'ta-out.>']);
  assert.is(a.code, 0, a.output);
  assert.match(a.output, /"\$JS\.API\.CONSUMER\.MSG\.NEXT\.TA_IN\.\*"/);
  assert.match(a.output, /"weir-staging\.ta_STAGING\.>"/);
  const role = (u: User) => permissionsVariable(u.slice(0, 2), u.slice(3) as 'node');
  const list = (Object.keys(users) as User[]).map((u) => `{ user: ${u}, password: "${users[u]}", permissions: $${role(u)} }`);
  const config = `${a.output}\n${permissionsConfig('tb', ['jb'], { sourceStreams: ['TB_IN'], sinkSubjects: ['tb-out.>'] })}\nauthorization { users: [ ${list.join(', ')}, { user: admin, password: "${admin}" } ] }`;
  await using server = await startNatsServer({ config });
  const nc = await connect({ servers: server.url, user: 'admin', pass: admin });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: 'TA_IN', subjects: ['ta-in.>'] });
  await jsm.streams.add({ name: 'TA_OUT', subjects: ['ta-out.>'] });
  await jsm.streams.add({ name: 'TB_IN', subjects: ['tb-in.>'] });
  const js = jetstream(nc);
  for (let i = 0; i < 300; i++) await js.publish(`ta-in.${i % 3}`, JSON.stringify({ i }));
  await js.publish('tb-in.0', JSON.stringify({ i: -1, secret: 'tenant b' }));

  const as = (u: User) => ({ args: ['--nats', server.url, '--subject-prefix', 'ta', '--user', u], env: { NATS_PASSWORD: users[u] } });
  const node = weir(['node', '--name', 'a', '--slots', '2', ...as('ta-node').args], { ...as('ta-node').env, JS_URL: server.url, JS_STREAMS: JSON.stringify({ ja: 'TA_IN', jx: 'TB_IN' }) });
  try {
    await node.waitFor('node a joined');
    const submit = await weirRun(['submit', 'test/security/fixtures/tenant-jetstream.job.ts', '--name', 'ja', '--wait', ...as('ta-submitter').args], as('ta-submitter').env);
    assert.is(submit.code, 0, submit.output + node.output() + server.logTail().slice(-3000));
    const out = (await readAll(jsm, nc, 'TA_OUT')).map((m) => JSON.parse(m) as { i: number; doubled: number });
    assert.is(out.length, 300);
    assert.equal(out.map((r) => r.i).sort((x, y) => x - y), Array.from({ length: 300 }, (_, i) => i));
    assert.ok(out.every((r) => r.doubled === r.i * 2));
    // Tenant A's job pointed at tenant B's stream fails, saying the server refused it.
    const intruder = await weirRun(['submit', 'test/security/fixtures/tenant-jetstream.job.ts', '--name', 'jx', '--wait', ...as('ta-submitter').args], as('ta-submitter').env);
    assert.is.not(intruder.code, 0);
    assert.match(intruder.output, /job 'jx' failed: .*cannot read stream 'TB_IN'.*Permissions Violation/, intruder.output + node.output());
  } finally {
    node.child.kill('SIGTERM');
    await node.exit;
  }
  // A's node credentials on B's stream: info, consumers, reads and publishes are refused.
  const an = await connect({ servers: server.url, user: 'ta-node', pass: users['ta-node'], inboxPrefix: '_INBOX_ta' });
  try {
    const ajsm = await jetstreamManager(an);
    assert.match(await rejection(ajsm.streams.info('TB_IN')), /Permissions Violation for Publish to "\$JS\.API\.STREAM\.INFO\.TB_IN"/);
    assert.match(await rejection(ajsm.consumers.add('TB_IN', { durable_name: 'steal' })), /Permissions Violation/);
    assert.match(await rejection(ajsm.streams.getMessage('TB_IN', { seq: 1 })), /Permissions Violation/);
    assert.match(await rejection(jetstream(an).publish('tb-in.0', 'forged')), /Permissions Violation for Publish to "tb-in\.0"/);
    assert.match(await rejection(ajsm.streams.purge('tb_STAGING')), /Permissions Violation/);
  } finally {
    await an.close();
  }
  assert.is((await jsm.streams.info('TB_IN')).state.messages, 1, "B's stream is untouched");
  await nc.close();
});

test('weir permissions prints a clear error for a bad tenant name', async () => {
  const r = await weirRun(['permissions', '--tenant', 'a.b', '--job', 'j']);
  assert.is.not(r.code, 0);
  assert.match(r.output, /tenant name 'a\.b' may contain only letters, digits/);
});

test.run();
