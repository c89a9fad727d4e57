import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNatsServer } from '../support/nats-server.ts';
import { weirToEnd } from '../support/run-to-end.ts';

const JOB = 'test/cli/fixtures/windowed-counts.job.ts';

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
    const [a, b] = await Promise.all([weirToEnd([...common, '--node', 'a'], { OUT: join(base, 'out') }), weirToEnd([...common, '--node', 'b'], { OUT: join(base, 'out') })]);
    assert.is(a.code, 0, a.output.slice(-2000));
    assert.is(b.code, 0, b.output.slice(-2000));
    const ta = traces(a.output);
    const tb = traces(b.output);
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
