import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { jetstream } from '@nats-io/jetstream';
import { Objm } from '@nats-io/obj';
import { startNatsServer } from '../support/nats-server.ts';
import { weir, weirRun } from '../cluster/cli-process.ts';
import { passwordVariable } from '../../src/security/tenant-accounts.ts';

async function rejection(what: Promise<unknown>): Promise<string> {
  try {
    await what;
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('was allowed');
}

test("with the accounts 'weir permissions --accounts' prints, each tenant's Weir cluster runs inside its own account, and tenant B sees none of A's subjects, streams, KV or object buckets, though both use the same names", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'weir-accounts-'));
  const printed = await weirRun(['permissions', '--accounts', '--tenant', 'ta,tb', '--max-streams', '24']);
  assert.is(printed.code, 0, printed.output);
  const passwords: Record<string, string> = {};
  for (const t of ['ta', 'tb']) for (const r of ['node', 'submitter', 'reader'] as const) passwords[passwordVariable(t, r)] = `p${randomBytes(12).toString('hex')}`;
  passwords[passwordVariable('', 'sys')] = `p${randomBytes(12).toString('hex')}`;
  for (const secret of Object.values(passwords)) assert.not.ok(printed.output.includes(secret));
  // nats-server reads the passwords from its environment.
  Object.assign(process.env, passwords);
  const nc: NatsConnection[] = [];
  try {
    await using server = await startNatsServer({ config: printed.output });
    const as = (t: string, role: 'node' | 'submitter' | 'reader'): { args: string[]; env: Record<string, string> } => ({ args: ['--nats', server.url, '--user', `${t}-${role}`], env: { NATS_PASSWORD: passwords[passwordVariable(t, role)]!, OUT: join(dir, t) } });
    const open = async (t: string, role: 'node' | 'reader') => {
      const c = await connect({ servers: server.url, user: `${t}-${role}`, pass: passwords[passwordVariable(t, role)] });
      nc.push(c);
      return c;
    };
    // B listens to everything its account carries while A's cluster runs a job.
    const b = await open('tb', 'node');
    const seenByB: string[] = [];
    b.subscribe('>', { callback: (_e, m) => void seenByB.push(m.subject) });
    await b.flush();

    const node = weir(['node', '--name', 'a', '--slots', '2', ...as('ta', 'node').args], as('ta', 'node').env);
    try {
      await node.waitFor('node a joined');
      const submit = await weirRun(['submit', 'test/cli/fixtures/windowed-counts.job.ts', '--name', 'ja', '--parallelism', '2', '--wait', ...as('ta', 'submitter').args], as('ta', 'submitter').env);
      assert.is(submit.code, 0, submit.output + node.output() + server.logTail().slice(-3000));
      const jobsA = await weirRun(['jobs', ...as('ta', 'reader').args], as('ta', 'reader').env);
      assert.match(jobsA.output, /ja\s+completed/, jobsA.output);
      await b.flush();
      assert.equal(seenByB, [], "none of A's traffic reaches B's account");
      const nodesB = await weirRun(['nodes', ...as('tb', 'reader').args], as('tb', 'reader').env);
      assert.match(nodesB.output, /no nodes/, `B sees no node of A: ${nodesB.output}`);
    } finally {
      node.child.kill('SIGTERM');
      await node.exit;
    }

    // A's cluster state is all in A's account, within its limits.
    const a = await open('ta', 'node');
    const ajsm = await jetstreamManager(a);
    const aStreams = (await ajsm.streams.names().next()).sort();
    for (const s of ['KV_weir_jobs', 'KV_weir_nodes', 'OBJ_weir_bundles']) assert.ok(aStreams.includes(s), aStreams.join(','));
    assert.ok((await (await new Kvm(jetstream(a)).open('weir_jobs')).get('job.ja'))!.json<{ status: string }>().status === 'completed');
    assert.is((await ajsm.getAccountInfo()).limits.max_streams, 24);
    await (await new Kvm(jetstream(a)).create('private')).put('k', 'a secret of A');
    await (await new Objm(jetstream(a)).create('files')).putBlob({ name: 'f' }, new TextEncoder().encode('a file of A'));
    // B's own cluster (made by its 'weir nodes') has the same bucket names, and none of A's entries.
    const bjsm = await jetstreamManager(b);
    const bStreams = (await bjsm.streams.names().next()).sort();
    assert.equal(bStreams, ['KV_weir_jobs', 'KV_weir_lease', 'KV_weir_nodes', 'OBJ_weir_bundles']);
    assert.is(await (await new Kvm(jetstream(b)).open('weir_jobs')).get('job.ja'), null);
    assert.is((await bjsm.streams.info('OBJ_weir_bundles')).state.messages, 0);
    const jobsB = await weirRun(['jobs', ...as('tb', 'reader').args], as('tb', 'reader').env);
    assert.not.match(jobsB.output, /\bja\b/, jobsB.output);
    // A's other streams, KV and object buckets do not exist for B: not refused, absent.
    assert.match(await rejection(bjsm.streams.info('KV_private')), /stream not found/);
    assert.match(await rejection((async () => (await new Kvm(jetstream(b)).open('private')).status())()), /not found/);
    assert.match(await rejection(new Objm(jetstream(b)).open('files')), /not found/);
    // A stream of B capturing A's subjects captures nothing of A.
    await bjsm.streams.add({ name: 'SPY', subjects: ['weir.>', '$KV.private.>'] });
    await (await new Kvm(jetstream(a)).open('private')).put('k', 'another secret of A');
    a.publish('weir.ja.probe', 'frame');
    await a.flush();
    assert.is((await bjsm.streams.info('SPY')).state.messages, 0);
    // The system account works (server requests answer).
    const sys = await connect({ servers: server.url, user: 'sys', pass: passwords[passwordVariable('', 'sys')] });
    nc.push(sys);
    const ping = await sys.request('$SYS.REQ.SERVER.PING');
    assert.ok(ping.json<{ server: { id: string } }>().server.id);
  } finally {
    await Promise.all(nc.map((c) => c.close().catch(() => {})));
    for (const k of Object.keys(passwords)) delete process.env[k];
    rmSync(dir, { recursive: true, force: true });
  }
});

test('weir permissions --accounts refuses the system account name and a repeated tenant', async () => {
  const sys = await weirRun(['permissions', '--accounts', '--tenant', 'sys']);
  assert.is.not(sys.code, 0);
  assert.match(sys.output, /tenant name 'sys' is taken by the system account/);
  const twice = await weirRun(['permissions', '--accounts', '--tenant', 'ta,ta']);
  assert.match(twice.output, /a tenant is given twice/);
});

test.run();
