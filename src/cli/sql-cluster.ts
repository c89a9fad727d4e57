import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import type { NatsConnection } from '@nats-io/transport-node';
import type { ClusterClient } from '../cluster/cluster-client.ts';
import type { TableEnvironment, TableResult } from '../table/table-environment.ts';
import type { Change } from '../table/changelog.ts';
import { parseStatement } from '../table/sql-text.ts';
import { sqlResultSubject, SQL_RESULT_END, writeSqlJobModule } from '../table/sql-job.ts';
import { WeirError } from '../errors.ts';

/** The cluster `weir sql --nats` runs its INSERTs and SELECTs on. */
export interface SqlShellCluster {
  nc: NatsConnection;
  client: ClusterClient;
  /** The cluster's subject prefix (default `weir`). */
  subjectPrefix?: string;
  /** Parallelism (slots) of each submitted job. */
  parallelism: number;
}

let submitted = 0;

/** True for the statements that become cluster jobs (INSERT, SELECT; not EXPLAIN or DDL). */
export function runsOnCluster(text: string): boolean {
  const stmt = parseStatement(text);
  return !stmt.explain && (stmt.ast.type === 'insert' || stmt.ast.type === 'select');
}

/**
 * Submits an INSERT or a SELECT to the cluster as a job that plans the shell's DDL and the
 * statement again on the nodes. It is planned here first, so errors show before anything is
 * submitted. An INSERT's result is its job name at once; a SELECT's changes arrive on core NATS
 * (`onChange`) until the job ends, and `job.cancel()` (Ctrl-C) cancels it in the cluster.
 */
export async function submitSql(cluster: SqlShellCluster, tEnv: TableEnvironment, ddl: string[], text: string, onChange: (c: Change) => void, notice: (line: string) => void): Promise<TableResult> {
  const select = parseStatement(text).ast.type === 'select';
  const columns = select ? tEnv.sqlQuery(text).columns : (tEnv.sql(text), undefined);
  const job = `sql-${Date.now().toString(36)}-${++submitted}`;
  const script = [...ddl, text].join(';\n');
  const file = writeSqlJobModule(script, job, select);
  const prefix = cluster.subjectPrefix ?? 'weir';
  // Subscribed before submitting: no change is published before the shell listens.
  const sub = select ? cluster.nc.subscribe(sqlResultSubject(prefix, job)) : undefined;
  let ended: () => void = () => {};
  const end = new Promise<void>((resolve) => (ended = resolve));
  if (sub)
    void (async () => {
      for await (const m of sub) {
        const s = m.string();
        if (s === SQL_RESULT_END) return ended();
        onChange(JSON.parse(s) as Change);
      }
    })();
  try {
    await cluster.client.submit({ file, name: job, parallelism: cluster.parallelism });
  } catch (error) {
    sub?.unsubscribe();
    throw error;
  } finally {
    rmSync(dirname(file), { recursive: true, force: true });
  }
  if (!select) return { kind: 'insert', message: `submitted job '${job}' (parallelism ${cluster.parallelism}); see weir jobs, stop it with weir cancel ${job}`, await: async () => {} };
  notice(`running as job '${job}' on the cluster (Ctrl-C cancels it)`);
  const handle = { cancel: () => cluster.client.cancel(job) };
  return {
    kind: 'select',
    message: '',
    columns,
    job: handle as unknown as TableResult['job'],
    await: async () => {
      try {
        const record = await cluster.client.waitFor(job);
        // Every change was published before the job completed; its end marker follows the last.
        if (record.status === 'completed') await end;
        else if (record.status === 'failed') throw new WeirError('WEIR_JOB_FAILED', `job '${job}' failed${record.reason ? `: ${record.reason}` : ''}`);
      } finally {
        sub!.unsubscribe();
      }
    },
  };
}
