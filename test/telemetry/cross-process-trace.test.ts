import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNatsServer } from '../support/nats-server.ts';

const JOB = 'test/cli/fixtures/windowed-counts.job.ts';

function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/weir.js', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => resolve({ code, out }));
  });
}

/** Trace ids of the spans a process printed with the console exporter, by span name. */
function traces(out: string): Map<string, Set<string>> {
  const byTrace = new Map<string, Set<string>>();
  const re = /traceId: '([0-9a-f]{32})'[\s\S]*?name: '([^']+)'/g;
  for (let m = re.exec(out); m; m = re.exec(out)) {
    if (!byTrace.has(m[1]!)) byTrace.set(m[1]!, new Set());
    byTrace.get(m[1]!)!.add(m[2]!);
  }
  return byTrace;
}

test('over NATS with 2 nodes, a sampled record keeps its trace id across the process boundary', async () => {
  await using server = await startNatsServer();
  const base = mkdtempSync(join(tmpdir(), 'weir-trace-'));
  try {
    const common = ['run', JOB, '--parallelism', '2', '--nats', server.url, '--nodes', 'a,b', '--trace-sample', '0.01', '--console-telemetry'];
    const [a, b] = await Promise.all([run([...common, '--node', 'a'], { OUT: join(base, 'out') }), run([...common, '--node', 'b'], { OUT: join(base, 'out') })]);
    assert.is(a.code, 0, a.out.slice(-2000));
    assert.is(b.code, 0, b.out.slice(-2000));
    const ta = traces(a.out);
    const tb = traces(b.out);
    // The source runs on node a (slot 0): its send spans start traces that node b continues.
    const shared = [...ta.keys()].filter((t) => tb.has(t));
    assert.ok(ta.size > 0 && tb.size > 0, `both nodes exported spans (${ta.size}, ${tb.size})`);
    assert.ok(shared.length > 0, 'a trace id appears on both nodes');
    const t = shared[0]!;
    assert.ok([...ta.get(t)!, ...tb.get(t)!].some((n) => n.endsWith(' send')), 'the shared trace starts at the source');
    assert.ok([...tb.get(t)!, ...ta.get(t)!].some((n) => n.endsWith(' process')), 'and continues in process spans');
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test.run();
