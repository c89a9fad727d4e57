import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { StreamEnvironment, type EnvironmentOptions } from '../api/stream-environment.ts';
import { TableEnvironment } from '../table/table-environment.ts';
import { splitStatements } from '../table/sql-text.ts';
import type { Change } from '../table/changelog.ts';
import type { JobHandle } from '../runtime/job.ts';
import { WeirError } from '../errors.ts';
import type { SqlShellCluster } from './sql-cluster.ts';

/** Options of {@link runSqlShell}. */
export interface SqlShellOptions {
  input: Readable;
  output: Writable;
  /** Environment options of every job the shell starts (parallelism…). */
  environment?: EnvironmentOptions;
  /** Redraw the live table in place (ANSI); off: print each result table once, when its job ends. */
  live?: boolean;
  /** Rows of an append-only result kept on screen (the newest). */
  maxRows?: number;
  /** Run INSERTs and SELECTs as jobs of this cluster (`weir sql --nats`) instead of embedded. */
  cluster?: SqlShellCluster;
}

/** A query's result as it changes: an upsert table when the result updates, else the newest rows. */
class LiveTable {
  private readonly rows = new Map<string, Record<string, unknown>>();
  private appended = 0;
  constructor(
    private readonly columns: string[],
    private readonly maxRows: number,
  ) {}

  apply(c: Change): void {
    const key = JSON.stringify(c.row);
    if (c.kind === '+I' || c.kind === '+U') {
      this.rows.set(c.kind === '+I' ? `${this.appended++}|${key}` : key, c.row);
      if (this.rows.size > this.maxRows) this.rows.delete(this.rows.keys().next().value!);
    } else {
      // A retraction names the row it takes back (the whole row, as Flink prints it).
      for (const [k, row] of this.rows) if (JSON.stringify(row) === key) {
        this.rows.delete(k);
        break;
      }
    }
  }

  render(): string {
    const cells = [...this.rows.values()].map((r) => this.columns.map((c) => String(r[c] ?? 'NULL')));
    const widths = this.columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
    const line = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+`;
    const fmt = (row: string[]) => `| ${row.map((v, i) => v.padEnd(widths[i]!)).join(' | ')} |`;
    return [line, fmt(this.columns), line, ...cells.map(fmt), line, `${cells.length} row(s)`].join('\n') + '\n';
  }
}

/**
 * The `weir sql` shell: reads statements (ending in `;`) from `input`, runs them embedded —
 * DDL is remembered, each SELECT or INSERT starts a job in a new environment with that DDL — and
 * prints a SELECT's result as a table that changes as the job runs. Ctrl-C cancels a running query.
 * With `cluster`, an INSERT is submitted as a cluster job (the shell goes on at once) and a
 * SELECT's job sends its changes back over NATS while the table is shown.
 */
export async function runSqlShell(options: SqlShellOptions): Promise<void> {
  const out = options.output;
  const ddl: string[] = [];
  const rl = createInterface({ input: options.input, terminal: false });
  let buffer = '';
  let running: Pick<JobHandle, 'cancel'> | undefined;
  const onSigint = () => void running?.cancel();
  process.on('SIGINT', onSigint);
  const prompt = () => out.write(buffer ? '   -> ' : 'weir> ');
  prompt();
  try {
    for await (const line of rl) {
      buffer += `${line}\n`;
      if (!/;\s*$/.test(line)) {
        if (buffer.trim() === '') buffer = '';
        prompt();
        continue;
      }
      const script = buffer;
      buffer = '';
      for (const s of splitStatements(script)) {
        const text = s.text.trim();
        if (/^(quit|exit)$/i.test(text)) return;
        await runStatement(text);
      }
      prompt();
    }
  } finally {
    process.off('SIGINT', onSigint);
    rl.close();
  }

  async function runStatement(text: string): Promise<void> {
    const env = StreamEnvironment.create(options.environment);
    const tEnv = TableEnvironment.create(env);
    try {
      for (const d of ddl) tEnv.executeSql(d);
      let table: LiveTable | undefined;
      let drawn = 0;
      let dirty = false;
      const draw = () => {
        if (!table || !dirty) return;
        const text = table.render();
        if (drawn) out.write(`\x1b[${drawn}A\x1b[J`);
        out.write(text);
        drawn = text.split('\n').length - 1;
        dirty = false;
      };
      const onChange = (c: Change) => {
        table?.apply(c);
        dirty = true;
      };
      const cluster = options.cluster && (await import('./sql-cluster.ts')).runsOnCluster(text) ? options.cluster : undefined;
      const result = cluster ? await (await import('./sql-cluster.ts')).submitSql(cluster, tEnv, ddl, text, onChange, (line) => out.write(`${line}\n`)) : tEnv.executeSql(text, { onChange });
      if (result.kind === 'ok' && /^\s*(CREATE|DROP)\b/i.test(text)) ddl.push(text);
      if (result.kind === 'select') table = new LiveTable(result.columns!.map((c) => c.name), options.maxRows ?? 50);
      for (const c of result.changes ?? []) table!.apply(c);
      running = result.job;
      const timer = options.live && table ? setInterval(draw, 200) : undefined;
      try {
        await result.await();
      } finally {
        if (timer) clearInterval(timer);
        running = undefined;
      }
      if (table) {
        dirty = true;
        if (!options.live) drawn = 0;
        draw();
      } else out.write(`${result.message}\n`);
    } catch (error) {
      out.write(`${error instanceof WeirError ? error.message : `error: ${(error as Error).message}`}\n`);
    }
  }
}

/** Adds `weir sql` to the CLI. */
export function addSqlCommand(program: Command): void {
  program
    .command('sql')
    .description('an interactive SQL shell: CREATE TABLE, SELECT (a live table), INSERT INTO … SELECT, EXPLAIN; jobs run embedded, or on a cluster with --nats')
    .option('-f, --file <script>', 'run the statements of this file first')
    .option('-e, --execute <statements>', 'run these statements (then the file, if any) and exit')
    .option('--parallelism <n>', 'default parallelism of the jobs the shell starts', '1')
    .option('--nats <urls>', 'run INSERT and SELECT on the cluster of weir nodes at these NATS URLs (comma-separated)')
    .option('--subject-prefix <prefix>', 'with --nats: subject and bucket prefix of the cluster (default weir)')
    .option('--user <user>', 'NATS user')
    .option('--password <password>', 'NATS password')
    .option('--token <token>', 'NATS token')
    .option('--creds <file>', 'NATS credentials file')
    .action(async (opts: { file?: string; execute?: string; parallelism: string; nats?: string; subjectPrefix?: string; user?: string; password?: string; token?: string; creds?: string }) => {
      const { Readable } = await import('node:stream');
      const scripts = [opts.execute, opts.file && readFileSync(opts.file, 'utf8')].filter((x): x is string => typeof x === 'string');
      const input = scripts.length ? Readable.from(scripts.map((x) => `${x}\n`)) : process.stdin;
      const parallelism = Number(opts.parallelism);
      let nc: import('@nats-io/transport-node').NatsConnection | undefined;
      let cluster: SqlShellCluster | undefined;
      if (opts.nats) {
        const servers = opts.nats.split(',');
        const { connectNats } = await import('../cluster/nats-connect.ts');
        const { tenantInbox } = await import('../security/permissions.ts');
        const { natsErrorLine } = await import('./cli-errors.ts');
        try {
          nc = await connectNats({ servers, name: `weir-sql-${process.pid}`, inboxPrefix: tenantInbox(opts.subjectPrefix), user: opts.user, password: opts.password, token: opts.token, credsFile: opts.creds });
        } catch (error) {
          throw new Error(natsErrorLine(servers, error));
        }
        const { connectCluster } = await import('../cluster/cluster-client.ts');
        cluster = { nc, client: await connectCluster(nc, opts.subjectPrefix), subjectPrefix: opts.subjectPrefix, parallelism };
      }
      try {
        await runSqlShell({ input, output: process.stdout, environment: { parallelism }, live: process.stdout.isTTY === true && scripts.length === 0, cluster });
      } finally {
        if (nc) await (await import('../cluster/nats-connect.ts')).closeNats(nc);
      }
    });
}
