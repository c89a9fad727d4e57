import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const JOB = 'test/cli/fixtures/windowed-counts.job.ts';

function rows(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean));
}

test('weir run --savepoint-dir, weir savepoint <pid> --stop, then weir run --from-savepoint --parallelism 3: every window exactly once', async () => {
  const base = mkdtempSync(join(tmpdir(), 'weir-cli-'));
  const savepoints = join(base, 'savepoints');
  const out1 = join(base, 'out1');
  const out2 = join(base, 'out2');
  try {
    // Run 1: stopped with a savepoint once it is under way. At 8k events/s it lasts 7.5 s: starting
    // `weir savepoint` on a loaded machine took long enough for a 2 s run to end before the signal.
    const first = spawn(process.execPath, ['bin/weir.js', 'run', JOB, '--savepoint-dir', savepoints], { env: { ...process.env, OUT: out1, RATE: '8000' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    let errors = '';
    first.stderr.on('data', (d) => (errors += d));
    const exited = new Promise<number | null>((resolve) => first.on('close', resolve));
    await new Promise<void>((resolve) => first.stdout.on('data', (d: Buffer) => {
      log += d.toString();
      if (log.includes('HALFWAY')) resolve();
    }));
    const ask = spawnSync(process.execPath, ['bin/weir.js', 'savepoint', String(first.pid), '--stop'], { encoding: 'utf8' });
    assert.is(ask.status, 0, ask.stderr);
    assert.is(await exited, 0, errors);
    assert.match(log, /savepoint \d+ of job 'windowed-counts' written to/, log);
    assert.match(log, /job stopped/);

    // Run 2: restored at parallelism 3 (key groups redistributed), runs to the end.
    const second = spawnSync(process.execPath, ['bin/weir.js', 'run', JOB, '--from-savepoint', savepoints, '--parallelism', '3'], { env: { ...process.env, OUT: out2 }, encoding: 'utf8' });
    assert.is(second.status, 0, second.stderr);
    assert.match(second.stdout, /restoring savepoint \d+ of job 'windowed-counts'/);

    const expected: string[] = [];
    for (let w = 0; w < 60; w++) for (let k = 0; k < 5; k++) expected.push(JSON.stringify([k, w * 1000, 200]));
    const got = [...rows(out1), ...rows(out2)];
    assert.ok(rows(out1).length > 0 && rows(out2).length > 0, `both runs wrote results (${rows(out1).length} + ${rows(out2).length})`);
    assert.equal(got.sort(), expected.sort());
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test('weir run --from-savepoint with no savepoint fails with a clear message', () => {
  const empty = mkdtempSync(join(tmpdir(), 'weir-nosp-'));
  try {
    const r = spawnSync(process.execPath, ['bin/weir.js', 'run', JOB, '--from-savepoint', empty], { env: { ...process.env, OUT: join(empty, 'out') }, encoding: 'utf8' });
    assert.is.not(r.status, 0);
    assert.match(r.stderr, /no savepoint in/);
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});

test.run();
