import * as hdr from 'hdr-histogram-js';
import { spawn } from 'node:child_process';
import { startNatsServer } from '../../test/support/nats-server.ts';
import type { Sink } from '../../src/index.ts';
import type { Scenario, SystemRun } from '../scenario.ts';
import { queries } from '../nexmark/queries/index.ts';
import { sqlQueries } from '../nexmark/sql-queries.ts';
import { runQuery, NexmarkGenerator } from '../nexmark/job.ts';
import { QueryDigest } from '../nexmark/query-digest.ts';
import { ResultDigest } from '../result-digest.ts';

const config = { seed: 1, outOfOrderMs: 100 };

/**
 * A sink that counts outputs and samples their latency: the wall time from when the generator
 * produced the event time an output carries (window end − 1 for windows) to when the sink got it.
 * That includes waiting for the watermark, as a user of the results would.
 */
function latencySink(gen: NexmarkGenerator, progress: (i: number) => void, digest: QueryDigest): { sink: Sink<unknown>; onGenerated: (i: number) => void; count: () => number; p99: () => number } {
  const times: number[] = [];
  const walls: number[] = [];
  let count = 0;
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000, numberOfSignificantValueDigits: 2 });
  const wallAt = (t: number) => {
    let lo = 0;
    let hi = times.length - 1;
    if (hi < 0 || times[hi]! < t) return undefined;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (times[mid]! < t) lo = mid + 1;
      else hi = mid;
    }
    return walls[lo];
  };
  return {
    onGenerated: (i) => {
      times.push(gen.inOrderTime(i));
      walls.push(performance.now());
      progress(i);
    },
    sink: {
      name: 'latency-count',
      createWriter: () => ({
        open() {},
        write(values, timestamps) {
          count += values.length;
          digest.add(values);
          if (timestamps === null) return;
          const now = performance.now();
          for (let k = 0; k < values.length; k += 64) {
            const wall = wallAt(timestamps[k]!);
            if (wall !== undefined) histogram.recordValue(Math.max(1, Math.round(now - wall)));
          }
        },
        close() {},
      }),
    },
    count: () => count,
    p99: () => histogram.getValueAtPercentile(99),
  };
}

/** Progress for the parent's progress bar: at most five lines a second on stderr. */
function reporter(): (i: number) => void {
  let last = 0;
  return (i) => {
    const now = performance.now();
    if (now - last < 200) return;
    last = now;
    process.stderr.write(`@progress ${i + 1}\n`);
  };
}

function weir(name: string, sql = false): SystemRun {
  return async (n) => {
    const query = (sql ? sqlQueries : queries).find((q) => q.name === name)!;
    const gen = new NexmarkGenerator(config);
    const digest = new QueryDigest(query);
    const l = latencySink(gen, reporter(), digest);
    await runQuery(query, gen, n, l.sink, { onGenerated: l.onGenerated });
    return result(digest, { p99LatencyMs: l.p99() });
  };
}

function handLoop(name: string): SystemRun {
  return (n) => {
    const query = queries.find((q) => q.name === name)!;
    const digest = new QueryDigest(query);
    query.reference(new NexmarkGenerator(config), n, (row) => digest.addRow(row));
    return result(digest);
  };
}

/**
 * A system's figures on a query: `outputs` counts result rows (an updating query's final rows, as
 * its reference emits them), `updates` what the sink received when that differs (q4's running
 * averages: one update per closed auction, five final rows).
 */
function result(digest: QueryDigest, extra: Record<string, number> = {}) {
  const rows = digest.result();
  return { handled: rows.count, digest: rows.toString(), extra: { ...extra, outputs: rows.count, ...(digest.received !== rows.count ? { updates: digest.received } : {}) } };
}

/**
 * The query at parallelism 2 on two `weir run --nats` processes (one per core) connected through a
 * nats-server this run starts; the time includes starting both processes (about half a second).
 */
function natsP2(name: string): SystemRun {
  return async (n) => {
    await using server = await startNatsServer();
    const node = (id: string) =>
      new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, ['bin/weir.js', 'run', 'bench/nexmark/node-job.ts', '--parallelism', '2', '--nats', server.url, '--node', id, '--nodes', 'a,b'], { env: { ...process.env, QUERY: name, EVENTS: String(n) }, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        child.stdout.on('data', (d) => (out += d));
        child.stderr.on('data', (d) => (err += d));
        child.on('close', (code) => (code === 0 ? resolve((JSON.parse(out.trim().split('\n').pop()!) as { result: string }).result) : reject(new Error(`node ${id} failed: ${err.slice(-1000)}`))));
      });
    // Each process digests what its sinks received; the digests of the two halves add up.
    const [a, b] = await Promise.all([node('a'), node('b')]);
    const rows = ResultDigest.parse(a).merge(b);
    return { handled: n, digest: rows.toString(), extra: { outputs: rows.count } };
  };
}

/** One scenario per query (`nexmark-q5`…) with `weir` and `hand-loop`, plus the generator alone. */
export const nexmarkScenarios: Scenario[] = [
  {
    name: 'nexmark-generator',
    events: 5_000_000,
    quickEvents: 500_000,
    note: 'the generator alone: it must not be the bottleneck',
    systems: {
      generator: (n) => {
        const gen = new NexmarkGenerator(config);
        let bids = 0;
        for (let i = 0; i < n; i++) if (gen.event(i).kind === 2) bids++;
        return { handled: bids, digest: String(bids) };
      },
    },
  },
  ...queries.map((q): Scenario => ({
    name: `nexmark-${q.name}`,
    events: 5_000_000,
    quickEvents: 500_000,
    note: q.name === 'q5' || q.name === 'q7' ? `${q.description}; weir-nats-p2: parallelism 2 on two processes over NATS, process start-up included` : q.description,
    systems: {
      weir: weir(q.name),
      'hand-loop': handLoop(q.name),
      ...(q.name === 'q5' || q.name === 'q7' ? { 'weir-nats-p2': natsP2(q.name) } : {}),
      // The same query in SQL, planned onto the same operators (`npm run bench -- nexmark --sql` runs only weir and weir-sql).
      ...(sqlQueries.some((s) => s.name === q.name) ? { 'weir-sql': weir(q.name, true) } : {}),
    },
    coldSystems: ['weir-nats-p2'],
  })),
];
