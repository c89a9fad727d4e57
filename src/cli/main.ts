import { Command } from 'commander';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { existsSync, readFileSync } from 'node:fs';
import { addClusterCommands, type ConnectionFlags } from './cluster-commands.ts';
import { jobFileErrorLine, natsErrorLine, unknownCommandLine } from './cli-errors.ts';
import { addDashboardCommand } from './dashboard-command.ts';
import type { StatusMode } from './status-view.ts';
import { addSqlCommand } from './sql-shell.ts';

/**
 * The `weir` command. `weir run job.ts` runs a job file embedded in this process (the job calls
 * `env.execute()` itself, exactly as with `tsx job.ts`).
 */
/** NATS flags of `weir run`: the connection flags plus where this node stands in the job. */
interface NatsCliOptions extends ConnectionFlags {
  node?: string;
  nodes?: string;
  checkpointDir?: string;
  failAfter?: string;
}

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command().name('weir').description('Stream processing for TypeScript, built as supervised actors').version(pkg.version);

program
  .command('run')
  .description('run a job file embedded in this process')
  .argument('<job>', 'a TypeScript or JavaScript file that builds a job and calls env.execute()')
  .option('--trace-sample <rate>', 'follow this share of source records with spans, e.g. 0.001 (exported over OTLP per OTEL_* variables)')
  .option('--metrics', 'export runtime metrics over OTLP (per OTEL_* variables)')
  .option('--console-telemetry', 'print spans and metrics to the console instead of sending OTLP')
  .option('--parallelism <n>', 'default parallelism of the job (overrides the job file; keyed state is redistributed on restore)')
  .option('--savepoint-dir <dir>', "where savepoints go; 'weir savepoint <pid>' takes one")
  .option('--from-savepoint <dir>', 'start from the newest savepoint in this directory (possibly at another parallelism; state is matched by operator uid)')
  .option('--allow-non-restored-state', 'with --from-savepoint: drop state of operators the job no longer has instead of failing')
  .option('--nats <urls>', 'run this process\'s share of the job and reach the other nodes over NATS (comma-separated server URLs)')
  .option('--node <name>', 'with --nats: this node\'s name')
  .option('--nodes <names>', 'with --nats: every node running the job, comma-separated, the same on each node')
  .option('--subject-prefix <prefix>', 'with --nats: subject prefix of the job\'s channels (default weir)')
  .option('--checkpoint-dir <dir>', 'with --nats: a snapshot directory every node shares (checkpoints, rollback after a node is lost)')
  .option('--fail-after <ms>', 'with --nats: a node not heard from this long is lost and the job rolls back without it (default 5000; lower recovers sooner, but a stalled event loop on a busy machine may then count as lost)')
  .option('--user <user>', 'NATS user').option('--password <password>', 'NATS password').option('--token <token>', 'NATS token')
  .option('--nkey <file>', 'NATS nkey seed file').option('--creds <file>', 'NATS credentials file')
  .option('--tls-ca <file>', 'CA certificate for TLS to NATS').option('--tls-cert <file>', 'client certificate').option('--tls-key <file>', 'client key')
  .option('--json', 'print the live status as one JSON line per job and interval (on stderr), also on a terminal')
  .option('--status <mode>', "live status: 'line' (one line per job, redrawn; the default on a terminal), 'json' (the default off a terminal) or 'off'")
  .option('--status-interval <ms>', 'how often the live status is sampled and shown', '1000')
  .option('--dashboard [port]', 'serve the web dashboard of this process\'s jobs on 127.0.0.1 (default port 8081; 0: any free port)')
  .option('--trace-ui <url>', "with --dashboard: where a sampled record's trace opens ({traceId} is replaced; default Jaeger at http://localhost:16686)")
  .action(async (job: string, opts: { traceSample?: string; metrics?: boolean; consoleTelemetry?: boolean; parallelism?: string; savepointDir?: string; fromSavepoint?: string; allowNonRestoredState?: boolean; json?: boolean; status?: string; statusInterval: string; dashboard?: string | boolean; traceUi?: string } & NatsCliOptions) => {
    const jobPath = resolve(job);
    if (!existsSync(jobPath)) program.error(`weir: job file '${job}' not found (looked at ${jobPath})`);
    const statusMode = opts.json ? 'json' : opts.status ?? (process.env.WEIR_CLUSTER ? 'off' : process.stderr.isTTY ? 'line' : 'json');
    if (!['line', 'json', 'off'].includes(statusMode)) program.error(`--status must be line, json or off, got '${opts.status}'`);
    const statusInterval = Number(opts.statusInterval);
    if (!(statusInterval >= 50)) program.error(`--status-interval must be a number of milliseconds (at least 50), got '${opts.statusInterval}'`);
    const rate = opts.traceSample === undefined ? 0 : Number(opts.traceSample);
    if (!(rate >= 0 && rate <= 1)) program.error(`--trace-sample must be a number between 0 and 1, got '${opts.traceSample}'`);
    const { environmentDefaults, environmentOverrides, activeJobs } = await import('../internal.ts');
    const { InspectionBus } = await import('../index.ts');
    // Every job of this process reports on one bus the live status (and the node's log) follow.
    const bus = new InspectionBus();
    environmentDefaults.inspection = bus;
    if (opts.parallelism !== undefined) {
      const p = Number(opts.parallelism);
      if (!Number.isInteger(p) || p < 1) program.error(`--parallelism must be a positive integer, got '${opts.parallelism}'`);
      environmentOverrides.parallelism = p;
    }
    if (opts.savepointDir && opts.fromSavepoint && resolve(opts.savepointDir) !== resolve(opts.fromSavepoint)) program.error('--savepoint-dir and --from-savepoint must name the same directory (one store holds both)');
    const savepoints = opts.savepointDir ?? opts.fromSavepoint;
    if (savepoints) {
      const { DirectorySnapshotStore } = await import('../index.ts');
      const { latestSavepointIn, answerSavepointSignals } = await import('./savepoints.ts');
      environmentOverrides.snapshotStore = new DirectorySnapshotStore(resolve(savepoints));
      // Savepoints need a checkpoint coordinator; without the job's own checkpointing, one that only takes savepoints.
      environmentDefaults.checkpointing = { intervalMs: 2 ** 31 - 1 };
      if (opts.fromSavepoint) {
        try {
          environmentOverrides.restoreFrom = await latestSavepointIn(resolve(opts.fromSavepoint));
        } catch (error) {
          program.error((error as Error).message);
        }
        if (opts.allowNonRestoredState) environmentOverrides.allowNonRestoredState = true;
        console.log(`restoring savepoint ${environmentOverrides.restoreFrom!.id} of job '${environmentOverrides.restoreFrom!.job}'`);
      }
      answerSavepointSignals(activeJobs, resolve(savepoints));
    }
    let nc: Awaited<ReturnType<typeof import('../cluster/nats-connect.ts').connectNats>> | undefined;
    if (opts.nats) {
      if (!opts.node || !opts.nodes) program.error('--nats needs --node <name> and --nodes <a,b,...>');
      const failAfterMs = opts.failAfter === undefined ? undefined : Number(opts.failAfter);
      if (failAfterMs !== undefined && !(Number.isInteger(failAfterMs) && failAfterMs >= 500)) program.error(`--fail-after must be a number of milliseconds (at least 500), got '${opts.failAfter}'`);
      const { connectNats } = await import('../cluster/nats-connect.ts');
      try {
        nc = await connectNats({ servers: opts.nats.split(','), name: `weir-${opts.node}`, inboxPrefix: (await import('../security/permissions.ts')).tenantInbox(opts.subjectPrefix), user: opts.user, password: opts.password, token: opts.token, nkeySeedFile: opts.nkey, credsFile: opts.creds, tls: opts.tlsCa || opts.tlsCert ? { caFile: opts.tlsCa, certFile: opts.tlsCert, keyFile: opts.tlsKey } : undefined });
      } catch (error) {
        program.error(natsErrorLine(opts.nats.split(','), error));
      }
      environmentOverrides.cluster = { nc: nc!, node: opts.node!, nodes: opts.nodes!.split(','), subjectPrefix: opts.subjectPrefix, ...(failAfterMs === undefined ? {} : { failAfterMs }) };
      // A part started by `weir node`: a restart after a node loss re-places its slots by the cluster's free slots.
      const placedBy = process.env.WEIR_CLUSTER ? (JSON.parse(process.env.WEIR_CLUSTER) as { prefix: string; job: string; run?: number }) : undefined;
      delete process.env.WEIR_CLUSTER;
      if (placedBy) {
        const { lostSlotReplacer } = await import('../cluster/lost-slots.ts');
        environmentOverrides.cluster.replaceLost = lostSlotReplacer(nc!, placedBy.prefix, placedBy.job, (line) => console.error(line));
        // Attempt numbers of this submission, in the cluster's jobs bucket (which a tenant's nodes may use).
        const { bucketName } = await import('../cluster/cluster-state.ts');
        if (placedBy.run !== undefined) environmentOverrides.cluster.attempts = { bucket: bucketName(placedBy.prefix, 'jobs'), key: `attempt.${placedBy.job}.${placedBy.run}`, create: false };
      }
      // Operators see rollbacks and skipped checkpoints in the node's log.
      bus.subscribe((e) => {
        if (e.type === 'job.restarted') console.error(`weir: node ${opts.node} restarts job '${e.job}' (attempt ${e.attempt}) from checkpoint ${e.checkpointId}`);
        if (e.type === 'checkpoint.skipped') console.error(`weir: checkpoint ${e.checkpointId} of job '${e.job}' skipped: ${e.reason}`);
      });
      if (opts.checkpointDir) {
        const { DirectorySnapshotStore } = await import('../index.ts');
        environmentOverrides.snapshotStore = new DirectorySnapshotStore(resolve(opts.checkpointDir));
      }
    }
    let shutdown: (() => Promise<void>) | undefined;
    if (rate > 0 || opts.metrics) {
      const { setupTelemetry } = await import('./telemetry.ts');
      shutdown = setupTelemetry({ traces: rate > 0, metrics: opts.metrics === true, console: opts.consoleTelemetry === true, job });
      if (rate > 0) environmentDefaults.traceSampleRate = rate;
    }
    const { createStatusView } = await import('./status-view.ts');
    const { watchJobs } = await import('../status/job-watcher.ts');
    const view = createStatusView(statusMode as StatusMode);
    const { dashboardPort, openDashboard } = await import('./dashboard-command.ts');
    const dashboard = opts.dashboard === undefined ? undefined : await openDashboard(program, dashboardPort(program, opts.dashboard), opts.traceUi);
    // Over NATS every node publishes its share; `weir submit --follow` and dashboards merge them.
    const publish = nc ? (await import('../status/nats-status.ts')).statusPublisher(nc, opts.subjectPrefix ?? 'weir', opts.node!) : undefined;
    const watch = statusMode !== 'off' || publish || dashboard ? watchJobs({ jobs: activeJobs, inspection: bus, intervalMs: statusInterval, onStatus: (s) => (view.update(s), publish?.(s), dashboard?.update(s)) }) : undefined;
    let failure: string | undefined;
    try {
      await import(pathToFileURL(jobPath).href);
    } catch (error) {
      // Stopped with a savepoint (`weir savepoint <pid> --stop`): a clean end, not a failure.
      if ((error as { code?: string }).code === 'WEIR_JOB_CANCELLED') console.log(`job stopped: ${(error as Error).message}`);
      else failure = jobFileErrorLine(job, jobPath, error);
    } finally {
      if (watch) {
        const last = watch.tick(false);
        watch.stop();
        view.end(last);
        publish?.(last);
        dashboard?.update(last);
      }
      try {
        await shutdown?.();
      } finally {
        // Bounded, and closed for sure: a drain while the server restarts left the connection reconnecting (chaos seed 84).
        if (nc) await (await import('../cluster/nats-connect.ts')).closeNats(nc);
      }
    }
    if (failure) {
      await dashboard?.close();
      program.error(failure);
    }
    // On a terminal the dashboard of a finished job stays up until Ctrl-C: its final figures are worth a look.
    if (dashboard && process.stdin.isTTY) {
      console.error(`weir: the job ended; the dashboard stays on ${dashboard.url} until Ctrl-C`);
      await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
    }
    await dashboard?.close();
  });


program
  .command('savepoint')
  .description('take a savepoint of the jobs a `weir run --savepoint-dir` process runs')
  .argument('<pid>', 'process id of the `weir run` process')
  .option('--stop', 'stop the job once the savepoint is written')
  .action((pid: string, opts: { stop?: boolean }) => {
    const target = Number(pid);
    if (!Number.isInteger(target) || target <= 0) program.error(`<pid> must be a process id, got '${pid}'`);
    try {
      process.kill(target, opts.stop ? 'SIGHUP' : 'SIGUSR2');
    } catch (error) {
      program.error(`cannot signal process ${target}: ${(error as Error).message}`);
    }
    console.log(`asked process ${target} for a savepoint${opts.stop ? ' and to stop' : ''}; it prints where the savepoint went`);
  });

addClusterCommands(program);
addSqlCommand(program);

addDashboardCommand(program);
// Security: weir keygen, weir permissions (src/cli/security-commands.ts).
(await import('./security-commands.ts')).addSecurityCommands(program);

// Commander prints the top-level help (exit 0) for `weir nosuch --help`; a command that does not exist is an error.
const first = process.argv[2];
const commands = program.commands.map((c) => c.name());
if (first !== undefined && !first.startsWith('-') && first !== 'help' && !commands.includes(first)) program.error(unknownCommandLine(first, commands));

await program.parseAsync(process.argv);
