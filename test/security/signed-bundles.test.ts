import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { Objm } from '@nats-io/obj';
import { connectCluster, startNode } from '../../src/index.ts';
import { newSigningKey, signBundle } from '../../src/security/bundle-signing.ts';
import { Kvm } from '@nats-io/kv';
import { startNatsServer } from '../support/nats-server.ts';
import { bundleJob } from '../../src/cluster/job-bundle.ts';
import { weirRun } from '../cluster/cli-process.ts';

test('a node started with --trust runs only bundles signed by a trusted key: unsigned, foreign-signed and tampered bundles (written by a client with plain object store access) are refused, shown in weir jobs, and their code never runs', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'weir-sign-'));
  const pwned = join(dir, 'pwned');
  mkdirSync(pwned);
  process.env.OUT = join(dir, 'out');
  process.env.PWNED_DIR = pwned;
  try {
    const keyFile = join(dir, 'signing.nk');
    const keygen = await weirRun(['keygen', keyFile]);
    assert.is(keygen.code, 0, keygen.output);
    const publicKey = keygen.output.trim();
    assert.match(publicKey, /^U[A-Z2-7]{55}$/);
    assert.is(statSync(keyFile).mode & 0o777, 0o600);
    const seed = readFileSync(keyFile, 'utf8');
    assert.not.ok(keygen.output.includes(seed.trim()), 'keygen never prints the seed');

    // What an attacker would like a node to run.
    const evil = join(dir, 'evil.job.ts');
    writeFileSync(evil, "import { writeFileSync } from 'node:fs';\nwriteFileSync(`${process.env.PWNED_DIR}/${process.pid}`, 'ran');\n");

    await using server = await startNatsServer();
    const nc = await connect({ servers: server.url });
    const cluster = await connectCluster(nc);
    const fixture = 'test/cli/fixtures/windowed-counts.job.ts';
    await cluster.submit({ file: fixture, name: 'good', parallelism: 1, signingSeed: seed });
    await cluster.submit({ file: evil, name: 'unsigned', parallelism: 1 });
    await cluster.submit({ file: evil, name: 'foreign', parallelism: 1, signingSeed: newSigningKey().seed });
    const target = await cluster.submit({ file: fixture, name: 'tampered', parallelism: 1, signingSeed: seed });
    // A client with write access to the bundles object store swaps the signed code, keeping its signature.
    const bundles = await new Objm(jetstream(nc)).open('weir_bundles');
    const info = (await bundles.info(target.bundle))!;
    await bundles.putBlob({ name: target.bundle, metadata: info.metadata }, new TextEncoder().encode(readFileSync(evil, 'utf8').replace(': string', '')));

    const log: string[] = [];
    const node = await startNode({ nc, name: 'a', slots: 4, servers: [server.url], trust: [publicKey], log: (l) => log.push(l) });
    try {
      const [good, unsigned, foreign, tampered] = await Promise.all(['good', 'unsigned', 'foreign', 'tampered'].map((j) => cluster.waitFor(j)));
      assert.is(good!.status, 'completed', `${good!.reason}\n${log.join('\n')}`);
      assert.ok(readdirSync(join(dir, 'out')).some((f) => f.endsWith('.jsonl')));
      assert.is(unsigned!.status, 'failed');
      assert.match(unsigned!.reason!, /job bundle 'unsigned-\d+' refused: it is not signed, and this node runs only bundles signed by a trusted key/);
      assert.match(foreign!.reason!, /refused: it is signed by U[A-Z2-7]+, which this node does not trust/);
      assert.match(tampered!.reason!, /refused: its signature by U[A-Z2-7]+ does not match its contents/);
      assert.equal(readdirSync(pwned), [], 'no refused code ran');
      assert.ok(log.some((l) => /does not run job 'tampered'/.test(l)), log.join('\n'));
      const jobs = await weirRun(['jobs', '--nats', server.url]);
      for (const j of ['unsigned', 'foreign', 'tampered']) assert.match(jobs.output, new RegExp(`${j}\\s+failed.*refused`), jobs.output);
      assert.match(jobs.output, /good\s+completed/);
    } finally {
      await node.stop();
      await nc.close();
    }
  } finally {
    delete process.env.OUT;
    delete process.env.PWNED_DIR;
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a node refuses a replay: an older signed bundle of a job put back under its own name (or under the newest one\'s), one signed for another job, and an expired one; each shown in weir jobs', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'weir-replay-'));
  process.env.OUT = join(dir, 'out');
  const key = newSigningKey();
  await using server = await startNatsServer();
  const nc = await connect({ servers: server.url });
  const log: string[] = [];
  const cluster = await connectCluster(nc);
  const fixture = 'test/cli/fixtures/windowed-counts.job.ts';
  const v1 = await cluster.submit({ file: fixture, name: 'ja', parallelism: 1, signingSeed: key.seed });
  // A client that can read the bundles store keeps a copy of v1 (the coordinator deletes a finished job's bundle).
  const js = jetstream(nc);
  const bundles = await new Objm(js).open('weir_bundles');
  const v1Info = (await bundles.info(v1.bundle))!;
  const v1Code = (await bundles.getBlob(v1.bundle))!;
  const node = await startNode({ nc, name: 'a', slots: 2, servers: [server.url], trust: [key.publicKey], timing: { heartbeatMs: 150 }, log: (l) => log.push(l) });
  try {
    assert.is((await cluster.waitFor('ja')).status, 'completed', log.join('\n'));
    const v2 = await cluster.submit({ file: fixture, name: 'ja', parallelism: 1, signingSeed: key.seed });
    assert.is((await cluster.waitFor('ja')).status, 'completed', `the newer version runs on the same node\n${log.join('\n')}`);
    assert.ok(v1.bundle !== v2.bundle);

    // A client with write access to the bundles store and the jobs bucket (no signing key) puts v1 back and resubmits it.
    const jobs = await new Kvm(js).open('weir_jobs');
    const resubmit = async (bundle: string, name = 'ja') => {
      for await (const k of await jobs.keys(`run.${name}.*`)) await jobs.delete(k);
      await jobs.put(`job.${name}`, JSON.stringify({ name, bundle, parallelism: 1, status: 'submitted', submittedAt: Date.now(), updatedAt: Date.now() }));
      const r = await cluster.waitFor(name);
      assert.is(r.status, 'failed', `${bundle} did not run\n${log.join('\n')}`);
      return r.reason!;
    };
    const refused = async (bundle: string, reason: RegExp, name?: string) => {
      const r = await resubmit(bundle, name);
      assert.match(r, reason, r);
    };
    await bundles.putBlob({ name: v1.bundle, metadata: v1Info.metadata }, v1Code);
    await refused(v1.bundle, new RegExp(`job bundle '${v1.bundle}' refused: it is a replay: signed at \\S+, not newer than bundle '${v2.bundle}'`));
    // The old bytes and signature under the newest bundle's name.
    await bundles.putBlob({ name: v2.bundle, metadata: v1Info.metadata }, v1Code);
    await refused(v2.bundle, /refused: it is a replay/);
    // A bundle signed for job 'other', run as 'ja'.
    // Real bundles of the fixture: without the check, each would run and complete.
    const code = await bundleJob(fixture);
    await bundles.putBlob({ name: 'other-1', metadata: signBundle(code, 'other', key.seed) }, code);
    await refused('other-1', /refused: it was signed for job 'other', not 'ja'/);
    // Signed two hours ago, valid for one: expired, even for a job that never ran.
    await bundles.putBlob({ name: 'fresh-1', metadata: signBundle(code, 'fresh', key.seed, { signedAt: Date.now() - 7_200_000, validForMs: 3_600_000 }) }, code);
    await refused('fresh-1', /refused: its signature expired at /, 'fresh');
    const listed = await weirRun(['jobs', '--nats', server.url]);
    assert.match(listed.output, /ja\s+failed.*refused: it was signed for job 'other'/, listed.output);
    assert.match(listed.output, /fresh\s+failed.*expired/, listed.output);
    // The accepted sequence is still v2's.
    const accepted = (await (await new Kvm(js).open('weir_signed')).get('job.ja'))!.json<{ bundle: string }>();
    assert.is(accepted.bundle, v2.bundle);
  } finally {
    await node.stop();
    await nc.close();
    delete process.env.OUT;
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--trust refuses a value that is not a public key, and weir keygen never overwrites a key', async () => {
  await using server = await startNatsServer();
  const nc = await connect({ servers: server.url });
  try {
    await startNode({ nc, name: 'a', slots: 1, servers: [server.url], trust: ['SUAM-not-a-key'] });
    assert.unreachable();
  } catch (error) {
    assert.match((error as Error).message, /--trust 'SUAM-not-a-key' is not an nkey public key/);
  } finally {
    await nc.close();
  }
  const dir = mkdtempSync(join(tmpdir(), 'weir-sign-'));
  try {
    writeFileSync(join(dir, 'k'), 'old');
    const again = await weirRun(['keygen', join(dir, 'k')]);
    assert.is.not(again.code, 0);
    assert.match(again.output, /EEXIST/);
    assert.is(readFileSync(join(dir, 'k'), 'utf8'), 'old');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
