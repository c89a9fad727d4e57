import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Objm } from '@nats-io/obj';
import { StreamEnvironment, TransactionalCollectSink, DirectorySnapshotStore, InspectionBus, WeirError, type CheckpointMetadata } from '../../src/index.ts';
import { encryptAtRest, encryptedSnapshotStore } from '../../src/security/encrypted-store.ts';
import { isSealed } from '../../src/security/blob-cipher.ts';
import { parseStateKeys } from '../../src/security/state-keys.ts';
import { openBucketSnapshotStore } from '../../src/cluster/bucket-snapshot-store.ts';
import { jetStreamSink } from '../../src/connectors/jetstream-sink.ts';
import { encodeSnapshot } from '../../src/state/snapshot-codec.ts';
import { startNatsServer } from '../support/nats-server.ts';
import { makeEvent, runningSums, type Event } from '../runtime/fixtures.ts';
import { readAll } from '../support/jetstream-read.ts';

const k1 = `k1:${randomBytes(32).toString('base64')}`;
const k2 = `k2:${randomBytes(32).toString('base64')}`;
const COUNT = 60_000;
const SEED = 11;

/** Every file under `dir`, recursively. */
function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

const finalSums = (xs: Event[]) => [...new Map(xs.map((e) => [e.key, e.value] as const))].sort();

/**
 * A keyed running sum checkpointing into `dir`. Without `restoreFrom`: takes a savepoint after the first checkpoint and
 * stops. With it: restores that savepoint and runs to the end. `WEIR_STATE_KEY` is what the process has at the time.
 */
async function run(dir: string, restoreFrom?: CheckpointMetadata): Promise<{ savepoint?: CheckpointMetadata; committed: Event[]; error?: unknown }> {
  const inspection = new InspectionBus();
  const sink = new TransactionalCollectSink<Event>();
  const env = StreamEnvironment.create({ inspection, snapshotStore: new DirectorySnapshotStore(dir), checkpointing: { intervalMs: 5, retain: 100 }, restoreFrom, restartStrategy: { kind: 'none' } });
  env
    .fromGenerator((i, r) => makeEvent(i, r, 20), { count: COUNT, seed: SEED, ratePerSecond: restoreFrom ? undefined : 50_000 })
    .keyBy((e) => e.key)
    .reduce((a, b) => ({ i: b.i, key: a.key, value: a.value + b.value }), 'sum')
    .sinkTo(sink);
  const job = env.executeAsync('enc');
  if (restoreFrom) {
    try {
      await job.done;
      return { committed: sink.committed };
    } catch (error) {
      return { committed: sink.committed, error };
    }
  }
  await new Promise<void>((resolve) => inspection.subscribe((e) => e.type === 'checkpoint.completed' && resolve()));
  const savepoint = await job.savepoint();
  await job.cancel();
  await job.done.catch(() => {});
  return { savepoint, committed: sink.committed };
}

test('checkpoints and savepoints on disk are AES-256-GCM blobs carrying their key id; a restore reads them, also after rotating to a new key', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'weir-enc-'));
  try {
    process.env.WEIR_STATE_KEY = k1;
    const first = await run(dir);
    const written = files(dir);
    assert.ok(written.length > 2, `files written: ${written.length}`);
    for (const f of written) {
      const bytes = readFileSync(f);
      assert.ok(isSealed(bytes), `${f} is sealed`);
      assert.is(bytes.subarray(9, 11).toString(), 'k1', `${f} carries key id k1`);
    }
    // Rotation: k2 is current, k1 still decrypts. The restore reads k1 blobs and writes k2 ones.
    process.env.WEIR_STATE_KEY = `${k2},${k1}`;
    const before = new Set(written);
    const second = await run(dir, first.savepoint);
    assert.is(second.error, undefined, String(second.error));
    // The restored state carried on: every key's final sum is the reference's.
    assert.equal(finalSums(second.committed), finalSums(runningSums(COUNT, SEED, 20)));
    const fresh = files(dir).filter((f) => !before.has(f) && statSync(f).size > 0);
    assert.ok(fresh.length > 0);
    for (const f of fresh) assert.is(readFileSync(f).subarray(9, 11).toString(), 'k2', `${f} sealed with the current key`);
  } finally {
    delete process.env.WEIR_STATE_KEY;
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a tampered, a plaintext-forged and a wrongly-keyed snapshot file fail the restore with an error naming the blob; nothing is restored', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'weir-enc-'));
  try {
    process.env.WEIR_STATE_KEY = k1;
    const { savepoint } = await run(dir);
    const key = Object.values(savepoint!.actors)[0]!;
    const file = join(dir, ...key.split('/'));
    const good = readFileSync(file);
    const expectRejected = async (pattern: RegExp) => {
      const r = await run(dir, savepoint);
      assert.ok(r.error instanceof WeirError, String(r.error));
      assert.match(String((r.error as Error).message), new RegExp(`blob '${key}'.*rejected: ${pattern.source}`));
      assert.equal(r.committed, [], 'no output from a job whose state was refused');
    };
    const flipped = Buffer.from(good);
    flipped[flipped.length - 5]! ^= 0x01;
    writeFileSync(file, flipped);
    await expectRejected(/authentication failed/);
    // What an attacker with write access but no key can produce: a well-formed plaintext snapshot.
    writeFileSync(file, encodeSnapshot({ forged: true }, { job: 'enc', operator: 'sum', kind: 'checkpoint' }));
    await expectRejected(/not encrypted/);
    writeFileSync(file, good);
    process.env.WEIR_STATE_KEY = `k1:${randomBytes(32).toString('base64')}`;
    await expectRejected(/authentication failed with key 'k1'/);
    process.env.WEIR_STATE_KEY = k2;
    await expectRejected(/sealed with key 'k1', which WEIR_STATE_KEY does not hold/);
    delete process.env.WEIR_STATE_KEY;
    await expectRejected(/it is encrypted, and this process has no state key/);
  } finally {
    delete process.env.WEIR_STATE_KEY;
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the JetStream object store checkpoint bucket and the WEIR_STAGING stream hold only sealed blobs; forged ones are refused', async () => {
  await using server = await startNatsServer();
  const nc = await connect({ servers: server.url });
  try {
    const keys = parseStateKeys(k1, 'test keys');
    // Object store: what is stored is sealed; an object rewritten by someone without the key is refused.
    process.env.WEIR_STATE_KEY = k1;
    const store = encryptAtRest(await openBucketSnapshotStore(nc, 'sec_chk_enc'));
    delete process.env.WEIR_STATE_KEY;
    await store.put('enc/chk-000001/_metadata', new TextEncoder().encode('secret state'));
    const os = await new Objm(jetstream(nc)).open('sec_chk_enc');
    const raw = (await os.getBlob('enc/chk-000001/_metadata'))!;
    assert.ok(isSealed(raw));
    assert.not.ok(Buffer.from(raw).includes('secret state'));
    assert.is(new TextDecoder().decode(await store.get('enc/chk-000001/_metadata')), 'secret state');
    await os.putBlob({ name: 'enc/chk-000001/_metadata' }, new TextEncoder().encode('forged state'));
    try {
      await store.get('enc/chk-000001/_metadata');
      assert.unreachable('a forged object was accepted');
    } catch (error) {
      assert.match((error as Error).message, /blob 'enc\/chk-000001\/_metadata' in JetStream object store sec_chk_enc rejected: not encrypted/);
    }
    // Staging: an epoch's staged records are sealed; the commit opens them and publishes the records in clear to the target.
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'SEC_OUT', subjects: ['sec.out'], duplicate_window: 60_000_000_000 });
    const sink = jetStreamSink<{ card: string }>({ connection: { servers: [server.url] }, subject: 'sec.out', stagingStream: 'SEC_STAGING', encryption: keys });
    const writer = sink.createWriter(0, 1);
    await writer.open({ job: 'enc' } as never);
    const txn = await writer.beginTransaction(1);
    await writer.write(txn, [{ card: '4111-1111' }, { card: '5500-0000' }], null);
    const handle = await writer.preCommit(txn);
    const staged = await readAll(jsm, nc, 'SEC_STAGING');
    assert.is(staged.length, 1);
    assert.not.ok(staged[0]!.includes('4111'), 'staged records are not readable from the stream');
    await writer.commit(handle);
    assert.equal(await readAll(jsm, nc, 'SEC_OUT'), ['{"card":"4111-1111"}', '{"card":"5500-0000"}']);
    // A staged message forged by someone with publish rights on the staging subject is refused at commit.
    const forgedTxn = await writer.beginTransaction(2);
    const ack = await jetstream(nc).publish(forgedTxn.subject, encodeSnapshot([], { job: 'x', operator: 'x', kind: 'x' }));
    forgedTxn.staged.push(ack.seq);
    try {
      await writer.commit(await writer.preCommit(forgedTxn));
      assert.unreachable('a forged staged message was committed');
    } catch (error) {
      assert.match((error as Error).message, /blob 'weir-staging\.SEC_STAGING\.[^']+' in stream SEC_STAGING rejected: not encrypted/);
    }
    await writer.close();
    assert.is((await readAll(jsm, nc, 'SEC_OUT')).length, 2);
  } finally {
    await nc.close();
  }
});

test('key configuration errors name the variable, never the key; a store wraps once and memory stores stay as they are', () => {
  const secret = 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0';
  try {
    parseStateKeys(`a:${secret}`, 'WEIR_STATE_KEY');
    assert.unreachable();
  } catch (error) {
    assert.match((error as Error).message, /^WEIR_STATE_KEY: a state key must be 32 bytes/);
    assert.not.ok((error as Error).message.includes(secret));
  }
  const dir = new DirectorySnapshotStore('/nonexistent');
  const once = encryptAtRest(dir, { WEIR_STATE_KEY: k1 });
  assert.is(encryptAtRest(once, { WEIR_STATE_KEY: k1 }), once);
  assert.is.not(once, dir);
  assert.ok(encryptAtRest(dir, {}).describe() === dir.describe() && !encryptAtRest(dir, {}).describe().includes('encrypted'));
  const mem = { volatile: true } as never;
  assert.is(encryptAtRest(mem, { WEIR_STATE_KEY: k1 }), mem);
  assert.ok(encryptedSnapshotStore(dir, parseStateKeys(k1, 'x')).describe().includes('encrypted'));
});

test.run();
