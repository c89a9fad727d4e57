import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StreamEnvironment, environmentOverrides } from '../api/stream-environment.ts';
import { TableEnvironment } from './table-environment.ts';
import type { Sink } from '../connectors/sink.ts';
import type { Change } from './changelog.ts';
import { InvalidJobError } from '../errors.ts';

/** The core NATS subject a SELECT submitted by `weir sql --nats` publishes its changes on (JSON, one per message). */
export function sqlResultSubject(clusterPrefix: string, job: string): string {
  return `${clusterPrefix}.${job}.sql-results`;
}

/** Published on {@link sqlResultSubject} when the result's input ended (every change was sent before it). */
export const SQL_RESULT_END = '{"end":true}';

/**
 * Publishes a SELECT's changes on the job's cluster connection (the job process of a `weir node`),
 * at most once, as the shell reads them live: a change lost while no shell listens is not replayed.
 */
function resultSink(job: string): Sink<Change> {
  return {
    name: 'sql-result(nats)',
    createWriter: () => {
      const cluster = environmentOverrides.cluster;
      if (!cluster) throw new InvalidJobError('a SELECT of weir sql --nats runs only on a cluster node');
      // The job's prefix is `<cluster prefix>.<job>` (see node-agent): the subject lies under it.
      const subject = `${cluster.subjectPrefix ?? `weir.${job}`}.sql-results`;
      const encoder = new TextEncoder();
      return {
        open() {},
        async write(values) {
          for (const c of values) cluster.nc.publish(subject, encoder.encode(JSON.stringify(c)));
          await cluster.nc.flush();
        },
        async finish() {
          cluster.nc.publish(subject, encoder.encode(SQL_RESULT_END));
          await cluster.nc.flush();
        },
        close() {},
      };
    },
  };
}

/**
 * What a job submitted by `weir sql --nats` runs on each node: the SQL text is planned again
 * there (DDL, then the INSERTs, or one SELECT whose changes go to {@link sqlResultSubject}), so
 * nothing but the statements travels. `script` is the shell's DDL and the statement, `;`-separated.
 */
export async function runSqlJob(script: string, job: string, select: boolean): Promise<void> {
  const env = StreamEnvironment.create();
  const tEnv = TableEnvironment.create(env);
  const tables = tEnv.sql(script);
  if (select) {
    const table = tables.at(-1);
    if (!table) throw new InvalidJobError('weir sql: the submitted script has no SELECT');
    tEnv.toChangelogStream(table).sinkTo(resultSink(job)).setParallelism(1);
  }
  await env.execute(job);
}

/** Root of this Weir installation: the generated module imports it by a relative path, which bundling keeps out. */
const weirRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Writes the job module `weir sql --nats` bundles and submits: it calls {@link runSqlJob} with the
 * statements as a string constant (the job's argument). Returns the module's path.
 */
export function writeSqlJobModule(script: string, job: string, select: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), 'weir-sql-job-'));
  const file = join(dir, `${job}.job.ts`);
  let target = relative(dir, join(weirRoot, 'src', 'table', 'sql-job.ts')).split(sep).join('/');
  if (!target.startsWith('.')) target = `./${target}`;
  writeFileSync(file, `import { runSqlJob } from ${JSON.stringify(target)};\nawait runSqlJob(${JSON.stringify(script)}, ${JSON.stringify(job)}, ${select});\n`);
  return file;
}
