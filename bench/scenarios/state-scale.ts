import { StreamEnvironment, CountSink, InspectionBus, MemorySnapshotStore, ValueStateDescriptor, type StateBackendOption, type CheckpointMetadata } from '../../src/index.ts';
import type { Scenario, SystemRun } from '../scenario.ts';
import { spawnSync } from 'node:child_process';

/** Heap limit of the over-heap job's process: far below what 1M keys of its state take on the heap. */
const OVER_HEAP_MB = 64;

/**
 * The over-heap job (bench/over-heap-child.ts) in a process started with
 * `--max-old-space-size=64`: 1M keys, each holding a small record. extra.completed is 1 when the
 * job finished with every output, 0 when the process died (V8 out of memory).
 */
function overHeap(backend: 'heap' | 'lmdb'): SystemRun {
  return (n) => {
    const keys = 1_000_000;
    const events = Math.max(n, keys + keys / 2);
    const started = performance.now();
    const r = spawnSync(process.execPath, [`--max-old-space-size=${OVER_HEAP_MB}`, '--import', 'tsx', 'bench/over-heap-child.ts', backend, String(keys), String(events)], { encoding: 'utf8', maxBuffer: 1 << 20 });
    const seconds = (performance.now() - started) / 1000;
    const last = r.stdout.trim().split('\n').pop() ?? '';
    const ok = r.status === 0 && last.startsWith('{') && (JSON.parse(last) as { outputs: number }).outputs === events;
    const oom = /heap out of memory|Allocation failed/i.test(r.stderr);
    // Each its own result group: the heap backend is expected to run out of memory where lmdb completes.
    return { handled: ok ? events : 0, digest: `completed:${ok ? 1 : 0}`, seconds, events, extra: { keys, maxOldSpaceMb: OVER_HEAP_MB, completed: ok ? 1 : 0, outOfMemory: oom ? 1 : 0, exitCode: r.status ?? -1 } };
  };
}

const counts = new ValueStateDescriptor<number>('count');

/** A keyed count in a process function (value state), so heap and lmdb run the same operator. */
function keyedCountJob(env: StreamEnvironment, events: number, keys: number, sink: CountSink, onCount?: (count: number) => void): void {
  env
    // A fixed permutation of the key space: every key recurs, none is hot.
    .fromGenerator((i) => (i * 7919) % keys, { count: events })
    .keyBy((k) => k)
    .process<number>({
      processElement(k, ctx, out) {
        const s = ctx.getState(counts);
        const c = (s.value() ?? 0) + 1;
        s.update(c);
        onCount?.(c);
        out.collect(c);
      },
    })
    .uid('count')
    .sinkTo(sink);
}

/**
 * Keyed count over `keys` distinct keys on a state backend: events/s over the run, one checkpoint
 * taken half way (duration, bytes, bytes per key), and recovery (a new job restored from that
 * checkpoint: time from start to its first output). The result is checked: one output per event,
 * and the restored job's first output is a count carried over from the checkpoint (> 1).
 */
function stateScaleRun(backend: StateBackendOption, keys: number): SystemRun {
  return async (n) => {
    const events = Math.max(n, keys * 2);
    const inspection = new InspectionBus();
    let checkpoint: { durationMs: number; bytes: number } | undefined;
    inspection.subscribe((e) => {
      if (e.type === 'checkpoint.completed') checkpoint = { durationMs: e.durationMs, bytes: e.bytes };
    });
    const store = new MemorySnapshotStore();
    const env = StreamEnvironment.create({ stateBackend: backend, snapshotStore: store, inspection, checkpointing: { intervalMs: 2 ** 31 - 1 } });
    const sink = new CountSink();
    // The sum of every count emitted: equal for both backends at the same key count (the bench compares them).
    let sum = 0;
    keyedCountJob(env, events, keys, sink, (c) => (sum += c));
    const started = performance.now();
    // CPU time of the job alone (not its recovery run): on a machine others load, wall time says little.
    const cpuStart = process.cpuUsage();
    const job = env.executeAsync(`state-scale-${keys}`);
    // Past the first pass over the keys (so the restored job's first count shows restored state), and early enough that the checkpoint,
    // packed after its barrier while the job runs, completes before the input ends on a loaded machine.
    const at = Math.max(events / 4, Math.min(keys * 1.1, events / 2));
    while (sink.count < at) await new Promise((r) => setTimeout(r, 2));
    const meta: CheckpointMetadata = await job.checkpoint();
    await job.done;
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuStart);
    const jobCpuSeconds = (cpu.user + cpu.system) / 1e6;
    if (sink.count !== events) throw new Error(`expected ${events} outputs, got ${sink.count}`);
    // Recovery: restore the checkpoint into a new job and wait for its first output.
    let first: number | undefined;
    const restoredSink = new CountSink();
    const env2 = StreamEnvironment.create({ stateBackend: backend, snapshotStore: store, restoreFrom: meta, checkpointing: { intervalMs: 2 ** 31 - 1 } });
    keyedCountJob(env2, events, keys, restoredSink, (c) => (first ??= c));
    const t = performance.now();
    const restored = env2.executeAsync(`state-scale-${keys}-restored`);
    while (restoredSink.count === 0) await new Promise((r) => setTimeout(r, 1));
    const recoveryMs = Math.round(performance.now() - t);
    await restored.cancel();
    if (!(first! > 1) && at > keys) throw new Error(`the restored job's first count is ${first}: state was not restored`);
    return {
      handled: events,
      digest: `${keys}:${sink.count}:${sum}`,
      seconds,
      events,
      extra: { keys, jobCpuSeconds: Math.round(jobCpuSeconds * 1000) / 1000, eventsPerCpuSec: Math.round(events / jobCpuSeconds), checkpointMs: checkpoint?.durationMs ?? -1, checkpointBytes: checkpoint?.bytes ?? -1, checkpointBytesPerKey: Math.round((checkpoint?.bytes ?? 0) / keys), recoveryMs },
    };
  };
}

/** Key counts of the growth curve (10M with `WEIR_BENCH_10M=1`: minutes, and several GB with the heap backend). */
const sizes: Array<[string, number]> = [['10k', 10_000], ['100k', 100_000], ['1m', 1_000_000], ...(process.env.WEIR_BENCH_10M === '1' ? [['10m', 10_000_000] as [string, number]] : [])];

export const stateScale: Scenario = {
  name: 'state-scale',
  events: 4_000_000,
  quickEvents: 1_000_000,
  note: 'keyed count (value state in a process function) at growing key counts, heap vs lmdb backend: events/s, rssPeakMb, checkpoint of the state past the first pass over the keys (extra.checkpointMs, checkpointBytes, checkpointBytesPerKey), recovery from it (extra.recoveryMs: start of the restored job to its first output). Chart: bench/results/state-scale.svg. With WEIR_BENCH_OVER_HEAP=1: heap-/lmdb-over-heap run 1M keys under --max-old-space-size=64 (extra.completed: lmdb completes, its local snapshots being read views of the database; heap runs out of memory). extra.eventsPerCpuSec: events per CPU-second of the job alone, steadier than events/s on a loaded machine.',
  systems: Object.fromEntries(sizes.flatMap(([label, keys]) => [
    [`heap-${label}`, stateScaleRun('heap', keys)],
    [`lmdb-${label}`, stateScaleRun({ kind: 'lmdb' }, keys)],
  ]).concat(
    // About a minute for lmdb (1M keys through a 64 MB heap): run with WEIR_BENCH_OVER_HEAP=1.
    process.env.WEIR_BENCH_OVER_HEAP === '1'
      ? [
          ['heap-over-heap', overHeap('heap')],
          ['lmdb-over-heap', overHeap('lmdb')],
        ]
      : [],
  )),
  coldSystems: ['heap-over-heap', 'lmdb-over-heap'],
  resultGroups: [...sizes.map(([label]) => [`heap-${label}`, `lmdb-${label}`]), ['heap-over-heap'], ['lmdb-over-heap']],
  // Warm-up runs long enough for their checkpoint to complete before their input ends.
  warmupEvents: () => 500_000,
};
