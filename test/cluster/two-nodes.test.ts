import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNatsServer } from '../support/nats-server.ts';
import { weirToEnd } from '../support/run-to-end.ts';

const JOB = 'test/cli/fixtures/windowed-counts.job.ts';

function rows(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean));
}

test('the same job file on two processes over NATS (credit channels between them) gives exactly the embedded result', async () => {
  await using server = await startNatsServer();
  const base = mkdtempSync(join(tmpdir(), 'weir-2n-'));
  try {
    const out = join(base, 'out');
    const common = ['run', JOB, '--parallelism', '2', '--nats', server.url, '--nodes', 'a,b', '--subject-prefix', 'weir-test'];
    const [a, b] = await Promise.all([weirToEnd([...common, '--node', 'a'], { OUT: out }), weirToEnd([...common, '--node', 'b'], { OUT: out })]);
    assert.is(a.code, 0, a.stderr);
    assert.is(b.code, 0, b.stderr);
    const expected: string[] = [];
    for (let w = 0; w < 60; w++) for (let k = 0; k < 5; k++) expected.push(JSON.stringify([k, w * 1000, 200]));
    const files = readdirSync(out).filter((f) => f.endsWith('.jsonl'));
    assert.ok(files.some((f) => f.startsWith('part-0-')) && files.some((f) => f.startsWith('part-1-')), `both window subtasks wrote (${files.join(', ')})`);
    assert.equal(rows(out).sort(), expected.sort());
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test('a server with user/password: the wrong password fails fast with a clear error, the right one runs', async () => {
  await using server = await startNatsServer({ config: 'authorization { user: weir, password: s3cret }' });
  const base = mkdtempSync(join(tmpdir(), 'weir-auth-'));
  try {
    const wrong = await weirToEnd(['run', JOB, '--nats', server.url, '--node', 'a', '--nodes', 'a', '--user', 'weir', '--password', 'nope'], { OUT: join(base, 'x') });
    assert.is.not(wrong.code, 0);
    assert.match(wrong.stderr, /cannot connect to NATS at .*(Authorization|authorization|AUTHORIZATION)/);
    const right = await weirToEnd(['run', JOB, '--nats', server.url, '--node', 'a', '--nodes', 'a', '--user', 'weir', '--password', 's3cret'], { OUT: join(base, 'ok') });
    assert.is(right.code, 0, right.stderr);
    assert.is(rows(join(base, 'ok')).length, 300);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test.run();
