import { Command } from 'commander';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readFileSync } from 'node:fs';
import { addClusterCommands, type ConnectionFlags } from './cluster-commands.ts';

/**
 * The `weir` command. `weir run job.ts` runs a job file embedded in this process (the job calls
 * `env.execute()` itself, exactly as with `tsx job.ts`).
 */
/** NATS flags of `weir run`: the connection flags plus where this node stands in the job. */
interface NatsCliOptions extends ConnectionFlags {
  node?: string;
  nodes?: string;
  checkpointDir?: string;
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
  .option('--user <user>', 'NATS user').option('--password <password>', 'NATS password').option('--token <token>', 'NATS token')
  .option('--nkey <file>', 'NATS nkey seed file').option('--creds <file>', 'NATS credentials file')
  .option('--tls-ca <file>', 'CA certificate for TLS to NATS').option('--tls-cert <file>', 'client certificate').option('--tls-key <file>', 'client key')
  .action(async (job: string, opts: { traceSample?: string; metrics?: boolean; consoleTelemetry?: boolean; parallelism?: string; savepointDir?: string; fromSavepoint?: string; allowNonRestoredState?: boolean } & NatsCliOptions) => {
    const rate = opts.traceSample === undefined ? 0 : Number(opts.traceSample);
    if (!(rate >= 0 && rate <= 1)) program.error(`--trace-sample must be a number between 0 and 1, got '${opts.traceSample}'`);
    const { environmentDefaults, environmentOverrides, activeJobs } = await import('../internal.ts');
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
      const { connectNats } = await import('../cluster/nats-connect.ts');
      try {
        nc = await connectNats({ servers: opts.nats.split(','), name: `weir-${opts.node}`, inboxPrefix: (await import('../security/permissions.ts')).tenantInbox(opts.subjectPrefix), user: opts.user, password: opts.password, token: opts.token, nkeySeedFile: opts.nkey, credsFile: opts.creds, tls: opts.tlsCa || opts.tlsCert ? { caFile: opts.tlsCa, certFile: opts.tlsCert, keyFile: opts.tlsKey } : undefined });
      } catch (error) {
        program.error((error as Error).message);
      }
      environmentOverrides.cluster = { nc: nc!, node: opts.node!, nodes: opts.nodes!.split(','), subjectPrefix: opts.subjectPrefix };
      // A part started by `weir node`: a restart after a node loss re-places its slots by the cluster's free slots.
      const placedBy = process.env.WEIR_CLUSTER ? (JSON.parse(process.env.WEIR_CLUSTER) as { prefix: string; job: string }) : undefined;
      delete process.env.WEIR_CLUSTER;
      if (placedBy) {
        const { lostSlotReplacer } = await import('../cluster/lost-slots.ts');
        environmentOverrides.cluster.replaceLost = lostSlotReplacer(nc!, placedBy.prefix, placedBy.job, (line) => console.error(line));
      }
      // Operators see rollbacks and skipped checkpoints in the node's log.
      const { InspectionBus } = await import('../index.ts');
      const bus = new InspectionBus();
      bus.subscribe((e) => {
        if (e.type === 'job.restarted') console.error(`weir: node ${opts.node} restarts job '${e.job}' (attempt ${e.attempt}) from checkpoint ${e.checkpointId}`);
        if (e.type === 'checkpoint.skipped') console.error(`weir: checkpoint ${e.checkpointId} of job '${e.job}' skipped: ${e.reason}`);
      });
      environmentDefaults.inspection = bus;
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
    try {
      await import(pathToFileURL(resolve(job)).href);
    } catch (error) {
      // Stopped with a savepoint (`weir savepoint <pid> --stop`): a clean end, not a failure.
      if ((error as { code?: string }).code !== 'WEIR_JOB_CANCELLED') throw error;
      console.log(`job stopped: ${(error as Error).message}`);
    } finally {
      await shutdown?.();
      await nc?.drain();
    }
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
// Security: weir keygen, weir permissions (src/cli/security-commands.ts).
(await import('./security-commands.ts')).addSecurityCommands(program);

await program.parseAsync(process.argv);
