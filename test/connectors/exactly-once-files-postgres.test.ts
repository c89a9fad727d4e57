import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import {
  StreamEnvironment, WatermarkStrategy, TumblingEventTimeWindows, SeededRandom, InspectionBus, MemorySnapshotStore,
  fileSource, fileSink, postgresSink, type SnapshotStore, type TwoPhaseCommitSink,
} from '../../src/index.ts';

interface Click { page: string; at: number }
type Row = [string, number, number]; // page, window start, count

const FILES = 4;
const PER_FILE = 30_000;

/** Seeded clicks, out of order within 300 ms; file f holds a contiguous time range, so each reading subtask sees time move forward. */
function writeInput(dir: string): { clicks: Click[]; bad: number } {
  const r = new SeededRandom(17);
  const clicks: Click[] = [];
  let bad = 0;
  for (let f = 0; f < FILES; f++) {
    const lines: string[] = [];
    for (let j = 0; j < PER_FILE; j++) {
      const i = f * PER_FILE + j;
      r.reset(i);
      const c = { page: `p${r.int(9)}`, at: i * 7 + r.int(300) };
      clicks.push(c);
      lines.push(JSON.stringify(c));
      if (j % 10_000 === 5000) {
        lines.push('{"page": "broken'); // not JSON
        lines.push('{"page": "p1"}'); // no timestamp
        bad += 2;
      }
    }
    writeFileSync(join(dir, `clicks-${f}.jsonl`), lines.join('\r\n') + (f % 2 ? '' : '\n'));
  }
  return { clicks, bad };
}

function reference(clicks: Click[]): Row[] {
  const m = new Map<string, number>();
  for (const c of clicks) {
    const k = `${c.page}|${Math.floor(c.at / 1000) * 1000}`;
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return [...m].map(([k, n]) => [k.split('|')[0]!, Number(k.split('|')[1]), n] as Row).sort(byRow);
}
const byRow = (a: Row, b: Row) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]);

/** A snapshot store whose `put` of one checkpoint file fails once: that checkpoint aborts, the job goes on. */
function flakyStore(inner: SnapshotStore): SnapshotStore & { failed: number } {
  const store = Object.create(inner) as SnapshotStore & { failed: number };
  store.failed = 0;
  store.put = async (key, bytes) => {
    if (store.failed === 0 && key.includes('chk-000002')) {
      store.failed++;
      throw new Error('injected snapshot store failure');
    }
    return inner.put(key, bytes);
  };
  return store;
}

/** Wraps a 2PC sink so that its first commit throws (after the commit took effect half-way: nothing). */
function failingFirstCommit<T, Txn>(sink: TwoPhaseCommitSink<T, Txn>): TwoPhaseCommitSink<T, Txn> & { thrown: number } {
  const wrapped = { ...sink, thrown: 0 } as TwoPhaseCommitSink<T, Txn> & { thrown: number };
  wrapped.createWriter = (subtask, parallelism) => {
    const w = sink.createWriter(subtask, parallelism);
    return { ...w, commit: async (h) => {
      if (wrapped.thrown === 0 && subtask === 0) {
        wrapped.thrown++;
        throw new Error('injected commit failure');
      }
      await w.commit(h);
    } };
  };
  return wrapped;
}

test('file source → windows → file sink and Postgres sink, with a crash, a failed snapshot put and a failed commit: output equals the reference exactly once', async () => {
  const input = mkdtempSync(join(tmpdir(), 'weir-in-'));
  const output = mkdtempSync(join(tmpdir(), 'weir-out-'));
  const table = `weir_test_counts_${process.pid}_${Date.now() % 100000}`;
  const client = new pg.Client({ host: '127.0.0.1', port: 5432, user: process.env.PGUSER ?? 'postgres', database: 'test' });
  try {
    await client.connect();
  } catch (error) {
    assert.unreachable(`this test needs the Postgres server at 127.0.0.1:5432 (database 'test', trust auth): ${(error as Error).message}`);
  }
  try {
    await client.query(`CREATE TABLE ${table} (page text NOT NULL, window_start bigint NOT NULL, n int NOT NULL)`);
    const { clicks, bad } = writeInput(input);
    const inspection = new InspectionBus();
    let completed = 0;
    let aborted = 0;
    inspection.subscribe((e) => {
      if (e.type === 'checkpoint.completed') completed++;
      if (e.type === 'checkpoint.aborted') aborted++;
    });
    const store = flakyStore(new MemorySnapshotStore());
    let crashed = false;
    const env = StreamEnvironment.create({
      parallelism: 2,
      batchSize: 512,
      inspection,
      snapshotStore: store,
      checkpointing: { intervalMs: 3 },
      supervision: { maxRestarts: 0 },
      restartStrategy: { kind: 'fixed-delay', attempts: 5, delayMs: 1 },
    });
    const files = failingFirstCommit(fileSink<Row>({ directory: output }));
    const counts = env
      .fromSource(fileSource<Click>({ directory: input, format: 'jsonl', timestamp: (c) => c.at }))
      .assignTimestampsAndWatermarks(WatermarkStrategy.forBoundedOutOfOrderness<Click>(400))
      .map((c) => {
        if (!crashed && completed >= 3 && c.at > 400_000) {
          crashed = true;
          throw new Error('injected crash');
        }
        return c;
      })
      .keyBy((c) => c.page)
      .window(TumblingEventTimeWindows.of(1000))
      .aggregate<number, number, Row>({ createAccumulator: () => 0, add: (_c, n) => n + 1, getResult: (n) => n, merge: (a, b) => a + b }, (page, [n], ctx, out) => out.emit([page, ctx.window.start, n!], ctx.window.end - 1));
    counts.sinkTo(files);
    counts.sinkTo(postgresSink<Row>({ connection: { host: '127.0.0.1', port: 5432, user: process.env.PGUSER ?? 'postgres', database: 'test' }, table, columns: ['page', 'window_start', 'n'], toRow: (r) => r }));
    const result = await env.execute('files-and-postgres');

    assert.ok(crashed, 'the crash was injected');
    assert.ok((result.jobRestarts ?? 0) >= 1, 'the job rolled back');
    assert.is(store.failed, 1, 'a snapshot put failed');
    assert.ok(aborted >= 1, 'that checkpoint aborted and the job went on');
    assert.is(result.deadLetterCount, bad, 'bad lines went to dead letters');
    assert.match(result.deadLetters.map((d) => d.reason).join('\n'), /clicks-\d\.jsonl:\d+: not valid JSON/);

    const expected = reference(clicks);
    const names = readdirSync(output);
    assert.equal(names.filter((n) => n.startsWith('.')), [], 'no in-progress or pending files left');
    const fromFiles = names.flatMap((n) => readFileSync(join(output, n), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Row));
    assert.equal(fromFiles.sort(byRow), expected);
    const rows = (await client.query(`SELECT page, window_start, n FROM ${table}`)).rows.map((r) => [r.page, Number(r.window_start), r.n] as Row);
    assert.equal(rows.sort(byRow), expected);
  } finally {
    await client.query(`DROP TABLE IF EXISTS ${table}; DROP TABLE IF EXISTS ${table}__weir_staging`).catch(() => {});
    await client.end();
    rmSync(input, { recursive: true, force: true });
    rmSync(output, { recursive: true, force: true });
  }
});

test('file source resumes at the exact line after a restore; a missing Postgres fails with a clear error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'weir-lines-'));
  try {
    writeFileSync(join(dir, 'a.txt'), 'one\ntwo\n\nthree\r\nfour');
    const source = fileSource<string>({ paths: [join(dir, 'a.txt')], format: 'lines' });
    const reader = source.createReader(0, 1);
    const letters: unknown[] = [];
    reader.open({ job: 'j', operator: 'o', subtask: 0, parallelism: 1, clock: { now: () => 0, setTimeout: () => 0, clearTimeout: () => {} }, deadLetter: (e) => letters.push(e) });
    const first: string[] = [];
    assert.is(reader.read(first, null, 2), 2);
    const position = reader.snapshot();
    const rest: string[] = [];
    reader.read(rest, null, 100);
    reader.restore(position);
    const again: string[] = [];
    reader.read(again, null, 100);
    assert.equal(first, ['one', 'two']);
    assert.equal(again, ['three', 'four']);
    assert.equal(rest, again);
    assert.is(reader.read([], null, 10), -1);
    await reader.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const env = StreamEnvironment.create();
  env.fromCollection([1]).sinkTo(postgresSink<number>({ connection: { host: '127.0.0.1', port: 1, connectionTimeoutMillis: 2000 }, table: 't', columns: ['n'], toRow: (n) => [n] }));
  try {
    await env.execute('no-postgres');
    assert.unreachable('the job must fail');
  } catch (error) {
    assert.match(String((error as Error).message) + String((error as { cause?: Error }).cause?.message), /cannot connect to Postgres/);
  }
});

test.run();
