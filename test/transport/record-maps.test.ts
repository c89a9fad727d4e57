import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const fixture = join(import.meta.dirname, 'fixtures', 'decoded-record-maps.ts');

// Regression (issue 6, nats-map bimodal): with msgpackr records, decoded objects came from a
// generated object literal whose boilerplate kept its map after a user map function deprecated it
// (integer price -> fraction, same keys). Whenever the reader had been optimized before that, every
// later record was created with the deprecated map and migrated on first access (~100-300 ns each);
// a receiver holding frames in its channel hit this in about half the runs, one 40 frames behind always.
test('records decoded ahead of a map that changes a field kind are not migrated one by one', () => {
  const run = spawnSync(process.execPath, ['--trace-migration', '--import', 'tsx', fixture], { encoding: 'utf8', maxBuffer: 1 << 30 });
  assert.is(run.status, 0, run.stderr);
  const lines = run.stdout.trim().split('\n');
  const result = JSON.parse(lines.filter((l) => l.startsWith('{"')).pop()!) as { records: number };
  assert.ok(result.records > 100_000, `${result.records} records mapped`);
  const migrated = lines.filter((l) => l.includes('priceUsd:')).length;
  // The first frames, decoded before any map ran, may migrate once; the records after them must not.
  assert.ok(migrated < 1024, `${migrated} of ${result.records} decoded records were migrated`);
});

test.run();
