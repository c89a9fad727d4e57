import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * State larger than the heap: a keyed count over 80k keys holding ~450 bytes each, in a child
 * process limited to 32 MB of old space, with three injected failures (one-actor restarts from
 * local snapshots). On lmdb the job completes with the reference's result: its local snapshots
 * are read views of the database, not copies on the heap. Regression: before, lmdb's full local
 * snapshots materialised the state and the child ran out of heap like the heap backend's.
 */
const KEYS = 80_000;
const EVENTS = 120_000;
const HEAP_MB = 32;

function runChild(backend: 'heap' | 'lmdb', dir: string) {
  const r = spawnSync(process.execPath, [`--max-old-space-size=${HEAP_MB}`, '--import', 'tsx', 'test/state/fixtures/over-heap-job.ts', backend, String(KEYS), String(EVENTS), dir], { encoding: 'utf8', maxBuffer: 1 << 20 });
  const last = r.stdout.trim().split('\n').pop() ?? '';
  return { status: r.status, signal: r.signal, stderr: r.stderr, result: last.startsWith('{') ? (JSON.parse(last) as { outputs: number; sum: number; restarts: number }) : undefined };
}

/** The sum of every count the job emits, by a plain loop. */
function referenceSum(): number {
  const counts = new Map<number, number>();
  let sum = 0;
  for (let i = 0; i < EVENTS; i++) {
    const k = (i * 7919) % KEYS;
    const n = (counts.get(k) ?? 0) + 1;
    counts.set(k, n);
    sum += n;
  }
  return sum;
}

test(`lmdb completes a job whose state exceeds --max-old-space-size=${HEAP_MB}, restarting from local snapshots, with the reference's result; the heap backend runs out of memory`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'weir-over-heap-'));
  try {
    const lmdb = runChild('lmdb', dir);
    assert.ok(lmdb.result, `the lmdb child completed (exit ${lmdb.status} ${lmdb.signal ?? ''}): ${lmdb.stderr.slice(-600)}`);
    assert.equal(lmdb.result, { outputs: EVENTS, sum: referenceSum(), restarts: 3 });
    const heap = runChild('heap', dir);
    assert.is(heap.result, undefined, 'the heap backend cannot hold this state');
    assert.match(heap.stderr, /heap out of memory|Allocation failed/i);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
