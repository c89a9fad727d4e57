import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StreamEnvironment, TransactionalCollectSink, MemorySnapshotStore, fileSink, postgresSink, latestCheckpoint, type Source, type SourceReader, type TwoPhaseCommitSink, type CheckpointMetadata, type SnapshotStore, type JobHandle } from '../../src/index.ts';
import { ArrivalSignal } from '../../src/connectors/arrival-signal.ts';
import { testPostgres } from '../table/postgres.ts';

/**
 * Chaos bug (issue 23, seeds 13, 33, 113 of the postgres scenario): a two-phase-commit sink
 * committed its last epoch at end of input, outside any checkpoint. When another part of the job
 * failed afterwards, the job rolled back to a checkpoint taken before that end and the sink
 * committed the same records again. With final checkpoints (FLIP-147) the ended subtask commits
 * with a checkpoint taken after its end, so the rollback restores it as ended.
 */

const JOB = 'final-checkpoint';
const FIRST = 1_000; // subtask 0's records
const SECOND = 1_000; // subtask 1's records

/** What the test lets the readers do: open once, they stay open (the restored run finds them open). */
interface Gates {
  /** Subtask 0 reached half-way: the test takes a checkpoint there (the job's interval is too long for any other). */
  atHalf: () => void;
  /** That checkpoint completed: a rollback has somewhere before subtask 0's end to go. */
  checkpointed: boolean;
  /** Every record of subtask 0 is committed: subtask 1 may read (and then fails once). */
  firstCommitted: boolean;
  signals: ArrivalSignal[];
}

/**
 * Subtask 0 reads half its records, waits until a checkpoint completed, reads the rest and ends;
 * subtask 1 reads nothing until subtask 0's records are committed. Positions are restorable.
 */
function gatedSource(gates: Gates): Source<number> {
  return {
    name: 'gated',
    createReader(subtask): SourceReader<number> {
      let position = 0;
      const total = subtask === 0 ? FIRST : SECOND;
      const signal = new ArrivalSignal(10);
      gates.signals.push(signal);
      const may = () => (subtask === 0 ? position < FIRST / 2 || gates.checkpointed : gates.firstCommitted);
      return {
        open() {},
        read(out, _ts, max) {
          if (position >= total) return -1;
          if (!may()) {
            if (subtask === 0) gates.atHalf();
            return 0;
          }
          const n = Math.min(max, 100, (subtask === 0 && position < FIRST / 2 ? FIRST / 2 : total) - position);
          for (let i = 0; i < n; i++) out.push(subtask * 1_000_000 + position + i);
          position += n;
          return n;
        },
        // Wakes when a gate opens (or soon, so barriers do not queue behind the wait).
        whenAvailable: () => (may() ? Promise.resolve() : signal.wait()),
        snapshot: () => position,
        restore(p) {
          position = p as number;
        },
        close() {},
      };
    },
  };
}

/** Wraps a 2PC sink: after each commit, `committed()` is asked whether subtask 0's records are all visible. */
function watchingCommits<T, Txn>(sink: TwoPhaseCommitSink<T, Txn>, afterCommit: () => Promise<void>): TwoPhaseCommitSink<T, Txn> {
  return {
    ...sink,
    createWriter: (subtask, parallelism) => {
      const w = sink.createWriter(subtask, parallelism);
      return {
        ...w,
        commit: async (h) => {
          await w.commit(h);
          await afterCommit();
        },
        recover: async (c) => {
          await w.recover(c);
          await afterCommit();
        },
      };
    },
  };
}

/**
 * Runs the job: source (2 subtasks) → map → 2PC sink, forward-chained, so each subtask is one
 * actor. The only checkpoints are the one the test takes with subtask 0 half-way and those the job
 * takes once input ends; subtask 1 fails once, after subtask 0 ended and committed everything.
 */
async function run(sink: TwoPhaseCommitSink<number, unknown>, committedOfFirst: () => number | Promise<number>, store: SnapshotStore, restoreFrom?: CheckpointMetadata): Promise<{ thrown: boolean; restarts: number }> {
  let handle: JobHandle | undefined;
  let requested = false;
  const wake = () => gates.signals.forEach((s) => s.notify());
  const gates: Gates = {
    atHalf: () => {
      if (requested || !handle) return;
      requested = true;
      void handle.checkpoint().then(() => {
        gates.checkpointed = true;
        wake();
      });
    },
    checkpointed: false,
    firstCommitted: false,
    signals: [],
  };
  let thrown = false;
  const watched = watchingCommits(sink, async () => {
    if (!gates.firstCommitted && (await committedOfFirst()) === FIRST) {
      gates.firstCommitted = true;
      wake();
    }
  });
  const env = StreamEnvironment.create({
    parallelism: 2,
    snapshotStore: store,
    restoreFrom,
    checkpointing: { intervalMs: 3_600_000 },
    supervision: { maxRestarts: 0 },
    restartStrategy: { kind: 'fixed-delay', attempts: 2, delayMs: 1 },
  });
  env
    .fromSource(gatedSource(gates))
    .map((v) => {
      if (!thrown && v >= 1_000_000) {
        thrown = true;
        throw new Error('injected failure of subtask 1, after subtask 0 ended and committed');
      }
      return v;
    })
    .sinkTo(watched);
  handle = env.executeAsync(JOB);
  const result = await handle.done;
  return { thrown, restarts: result.jobRestarts ?? 0 };
}

const expected = [...Array.from({ length: FIRST }, (_, i) => i), ...Array.from({ length: SECOND }, (_, i) => 1_000_000 + i)];

function duplicates(values: number[]): number {
  return values.length - new Set(values).size;
}

test('a subtask that ended and committed is not committed again when another fails afterwards (transactional collect sink)', async () => {
  const sink = new TransactionalCollectSink<number>();
  const { thrown, restarts } = await run(sink as unknown as TwoPhaseCommitSink<number, unknown>, () => sink.committed.filter((v) => v < 1_000_000).length, new MemorySnapshotStore());
  assert.ok(thrown, 'subtask 1 failed');
  assert.is(restarts, 1);
  assert.is(duplicates(sink.committed), 0, `duplicated ${duplicates(sink.committed)} records`);
  assert.equal([...sink.committed].sort((a, b) => a - b), expected);
});

test('the same with the Postgres sink (the chaos scenario that found it: seeds 13, 33, 113)', async () => {
  const { client, connection, table } = await testPostgres();
  try {
    await client.query(`CREATE TABLE ${table} (v bigint NOT NULL)`);
    const rows = async () => (await client.query<{ v: string }>(`SELECT v FROM ${table}`)).rows.map((r) => Number(r.v));
    const sink = postgresSink<number>({ connection, table, columns: ['v'], toRow: (v) => [v] });
    const { thrown, restarts } = await run(sink as TwoPhaseCommitSink<number, unknown>, async () => (await rows()).filter((v) => v < 1_000_000).length, new MemorySnapshotStore());
    assert.ok(thrown, 'subtask 1 failed');
    assert.is(restarts, 1);
    const got = await rows();
    assert.is(duplicates(got), 0, `duplicated ${duplicates(got)} rows`);
    assert.equal(got.sort((a, b) => a - b), expected);
  } finally {
    await client.query(`DROP TABLE IF EXISTS ${table}`).catch(() => {});
    await client.query(`DROP TABLE IF EXISTS ${table}__weir_staging`).catch(() => {});
    await client.end();
  }
});

/** Committed records of a file sink's directory. */
function fileRecords(dir: string): number[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean).map(Number));
}

test('the same with the file sink; restoring the finished job from its final checkpoint commits nothing twice', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'weir-final-'));
  const out = join(dir, 'out');
  try {
    const store = new MemorySnapshotStore();
    const sink = fileSink<number>({ directory: out });
    const { thrown, restarts } = await run(sink as TwoPhaseCommitSink<number, unknown>, () => fileRecords(out).filter((v) => v < 1_000_000).length, store);
    assert.ok(thrown, 'subtask 1 failed');
    assert.is(restarts, 1);
    const got = fileRecords(out);
    assert.is(duplicates(got), 0, `duplicated ${duplicates(got)} records`);
    assert.equal(got.sort((a, b) => a - b), expected);
    // The job's last checkpoint is its final one: every part taken after end of input. A run restored
    // from it re-commits its pre-committed epochs (idempotently), reads nothing again and ends.
    const final = await latestCheckpoint(store, JOB, { verify: true });
    assert.ok(final, 'a final checkpoint is in the store');
    const again = await run(sink as TwoPhaseCommitSink<number, unknown>, () => FIRST, store, final);
    assert.is(again.thrown, false, 'the restored run read no records');
    assert.equal(fileRecords(out).sort((a, b) => a - b), expected);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
