import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, statSync, truncateSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { StreamEnvironment, CollectSink, DirectorySnapshotStore, JobFailedError, StateNotSerializableError, SnapshotCorruptError } from '../../src/index.ts';

test('a user function that throws on one record: a dead letter naming operator and cause, nothing else lost', async () => {
  const sink = new CollectSink<string>();
  const env = StreamEnvironment.create({ supervision: { maxRestarts: 1, backoff: { initialMs: 1, maxMs: 1 } } });
  env
    .fromCollection(['1', '2', 'x', '4'])
    .map((s) => {
      const n = Number(s);
      if (Number.isNaN(n)) throw new SyntaxError(`not a number: '${s}'`);
      return String(n * 10);
    }, 'parse-number')
    .sinkTo(sink);
  const result = await env.execute('bad-record');
  assert.equal(sink.values, ['10', '20', '40']);
  assert.is(result.deadLetters.length, 1);
  assert.is(result.deadLetters[0]!.record, 'x');
  assert.match(result.deadLetters[0]!.reason, /parse-number/);
  assert.match(result.deadLetters[0]!.reason, /not a number: 'x'/);
});

test('state that cannot be snapshotted: the job fails with an error naming operator and path', async () => {
  const env = StreamEnvironment.create({ batchSize: 16, snapshotEvery: 1 });
  env
    .fromCollection(Array.from({ length: 1000 }, (_, n) => ({ k: 'a', n })))
    .keyBy((r) => r.k)
    .reduce((a, b) => ({ k: a.k, n: a.n + b.n, onChange: () => {} }) as typeof a, 'sum-with-callback')
    .sinkTo(new CollectSink());
  try {
    await env.execute('bad-state');
    assert.unreachable();
  } catch (e) {
    assert.instance(e, JobFailedError);
    const cause = (e as Error).cause as Error;
    assert.instance(cause, StateNotSerializableError);
    assert.match(cause.message, /sum-with-callback/);
    assert.match(cause.message, /onChange/);
    assert.match(cause.message, /function/);
  }
});

test('a snapshot truncated on disk: the restart fails with a clear error naming the operator', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'weir-snap-'));
  try {
    let crashed = false;
    const env = StreamEnvironment.create({ snapshotStore: new DirectorySnapshotStore(dir), snapshotEvery: 100_000, supervision: { backoff: { initialMs: 1, maxMs: 1 } } });
    env
      .fromCollection(Array.from({ length: 500_000 }, (_, i) => i))
      .keyBy((x) => x % 10)
      .reduce((a, b) => {
        // Once the actor's snapshot is on disk: damage it, then fail, so the restart must read it.
        const files = crashed ? [] : listFiles(dir).filter((f) => f.includes('counter'));
        if (files.length > 0) {
          crashed = true;
          for (const f of files) truncateSync(f, Math.floor(statSync(f).size / 2));
          throw new Error('injected');
        }
        return a + b;
      }, 'counter')
      .sinkTo(new CollectSink());
    try {
      await env.execute('truncated');
      assert.unreachable();
    } catch (e) {
      const cause = (e as Error).cause as Error;
      assert.instance(cause, SnapshotCorruptError);
      assert.match(cause.message, /counter/);
      assert.match(cause.message, /truncated/);
    }
    assert.ok(crashed, 'the snapshot reached the disk and the crash was injected');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((d) => d.isFile() && !d.name.endsWith('.tmp'))
    .map((d) => join(d.parentPath ?? (d as unknown as { path: string }).path, d.name));
}

test.run();
