import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DirectorySnapshotStore } from '../../src/index.ts';
import { SettlingStore } from '../../src/checkpoint/stores/settling-store.ts';

test('a settling store waits for the writes and deletes still in flight on a directory store, so its directory can be removed at once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'weir-settle-'));
  const inner = new DirectorySnapshotStore(dir);
  const store = new SettlingStore(inner);
  const keys = Array.from({ length: 20 }, (_, i) => `job/chk-${i}/a`);
  for (const [i, key] of keys.entries()) void store.put(key, new Uint8Array(64 * 1024).fill(i));
  await store.settled(10_000);
  assert.equal((await inner.list('job/')).sort(), [...keys].sort(), 'every write landed');
  for (const key of keys) void store.delete(key);
  await store.settled(10_000);
  assert.equal(await inner.list('job/'), [], 'every delete landed');
  rmSync(dir, { recursive: true });
});

test.run();
