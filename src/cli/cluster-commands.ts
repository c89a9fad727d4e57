import type { Command } from 'commander';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { existsSync } from 'node:fs';
import type { NatsConnection } from '@nats-io/transport-node';

/** NATS connection flags shared by `weir node`, `submit`, `jobs`, `cancel`, `nodes` (and `weir run --nats`). */
export interface ConnectionFlags {
  nats?: string;
  user?: string;
  password?: string;
  token?: string;
  nkey?: string;
  creds?: string;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  subjectPrefix?: string;
}

function withConnectionFlags(cmd: Command): Command {
  return cmd
    .option('--nats <urls>', 'NATS server URLs, comma-separated (default $NATS_URL or nats://127.0.0.1:4222)')
    .option('--subject-prefix <prefix>', 'subject and bucket prefix of the cluster (default weir); tenants use their own')
    .option('--user <user>', 'NATS user')
    .option('--password <password>', 'NATS password')
    .option('--token <token>', 'NATS token')
    .option('--nkey <file>', 'NATS nkey seed file')
    .option('--creds <file>', 'NATS credentials file')
    .option('--tls-ca <file>', 'CA certificate for TLS to NATS')
    .option('--tls-cert <file>', 'client certificate')
    .option('--tls-key <file>', 'client key');
}

const servers = (f: ConnectionFlags) => (f.nats ?? process.env.NATS_URL ?? 'nats://127.0.0.1:4222').split(',');

/** The flags a node hands to its job processes (the same credentials it uses itself). */
function authFlags(f: ConnectionFlags): Record<string, string> {
  const out: Record<string, string> = {};
  const put = (flag: string, v: string | undefined, file = false) => v !== undefined && (out[flag] = file ? resolve(v) : v);
  put('user', f.user);
  put('password', f.password);
  put('token', f.token);
  put('nkey', f.nkey, true);
  put('creds', f.creds, true);
  put('tls-ca', f.tlsCa, true);
  put('tls-cert', f.tlsCert, true);
  put('tls-key', f.tlsKey, true);
  return out;
}

async function connect(program: Command, f: ConnectionFlags, name: string): Promise<NatsConnection> {
  const { connectNats } = await import('../cluster/nats-connect.ts');
  try {
    const { tenantInbox } = await import('../security/permissions.ts');
    (await import('./security-commands.ts')).warnSecretFlags(f);
    return await connectNats({ servers: servers(f), name, inboxPrefix: tenantInbox(f.subjectPrefix), user: f.user, password: f.password, token: f.token, nkeySeedFile: f.nkey, credsFile: f.creds, tls: f.tlsCa || f.tlsCert ? { caFile: f.tlsCa, certFile: f.tlsCert, keyFile: f.tlsKey } : undefined });
  } catch (error) {
    const { natsErrorLine } = await import('./cli-errors.ts');
    program.error(natsErrorLine(servers(f), error));
  }
}

/** Runs `body` with a cluster client, reporting Weir errors as one clear line. */
async function withClient<T>(program: Command, f: ConnectionFlags, body: (c: Awaited<ReturnType<typeof import('../cluster/cluster-client.ts').connectCluster>>, nc: NatsConnection) => Promise<T>): Promise<T> {
  const nc = await connect(program, f, `weir-cli-${process.pid}`);
  try {
    const { connectCluster } = await import('../cluster/cluster-client.ts');
    return await body(await connectCluster(nc, f.subjectPrefix), nc);
  } catch (error) {
    program.error(`weir: ${(error as Error).message}`);
  } finally {
    await (await import('../cluster/nats-connect.ts')).closeNats(nc);
  }
}

/**
 * Adds the cluster commands to the `weir` program: `node` (a worker that joins the cluster),
 * `submit` (bundle a job file and run it on the nodes), `jobs`, `nodes` and `cancel`.
 */
export function addClusterCommands(program: Command): void {
  withConnectionFlags(program.command('node'))
    .description('join a cluster of weir nodes over NATS (JetStream) and run the jobs placed on this node')
    .option('--slots <n>', 'task slots this node offers (a job of parallelism P takes P slots)', '2')
    .option('--name <name>', 'node name, unique in the cluster (default: host name and pid)')
    .option('--checkpoint-dir <dir>', 'snapshot directory shared by all nodes (checkpoints for rollback after a node is lost)')
    .option('--trust <pubkeys>', "run only job bundles signed by these public keys ('weir keygen' prints one), comma-separated; repeatable", (v: string, prev: string[] = []) => [...prev, ...v.split(',').filter(Boolean)])
    .option('--dashboard [port]', 'also serve the web dashboard of the cluster\'s jobs on 127.0.0.1 (default port 8081; 0: any free port)')
    .option('--trace-ui <url>', "with --dashboard: where a sampled record's trace opens ({traceId} is replaced)")
    .action(async (f: ConnectionFlags & { slots: string; name?: string; checkpointDir?: string; trust?: string[]; dashboard?: string | boolean; traceUi?: string }) => {
      const slots = Number(f.slots);
      if (!Number.isInteger(slots) || slots < 1) program.error(`--slots must be a positive integer, got '${f.slots}'`);
      const name = f.name ?? `${hostname().replace(/[^A-Za-z0-9_-]/g, '-')}-${process.pid}`;
      const nc = await connect(program, f, `weir-node-${name}`);
      const { startNode } = await import('../cluster/node-agent.ts');
      const { closeNats } = await import('../cluster/nats-connect.ts');
      let node: Awaited<ReturnType<typeof startNode>>;
      try {
        node = await startNode({ nc, name, slots, servers: servers(f), subjectPrefix: f.subjectPrefix, checkpointDir: f.checkpointDir ? resolve(f.checkpointDir) : undefined, auth: authFlags(f), trust: f.trust });
      } catch (error) {
        await closeNats(nc);
        program.error(`weir: ${(error as Error).message}`);
      }
      let stopDashboard: (() => Promise<void>) | undefined;
      if (f.dashboard !== undefined) {
        const { dashboardPort, openDashboard, dashboardFromNats } = await import('./dashboard-command.ts');
        const dashboard = await openDashboard(program, dashboardPort(program, f.dashboard), f.traceUi);
        const unfollow = await dashboardFromNats(nc, f.subjectPrefix ?? 'weir', dashboard);
        stopDashboard = () => (unfollow(), dashboard.close());
      }
      // Every step runs even when one before it fails, and the process exits: a drain during a server restart kept it alive.
      const leave = async () => {
        try {
          await stopDashboard?.();
        } finally {
          try {
            await node.stop();
          } finally {
            await closeNats(nc);
            process.exit(0);
          }
        }
      };
      process.once('SIGINT', () => void leave());
      process.once('SIGTERM', () => void leave());
    });

  withConnectionFlags(program.command('submit'))
    .description('bundle a job file with esbuild and run it on the cluster')
    .argument('<job>', 'a TypeScript or JavaScript file that builds a job and calls env.execute()')
    .option('--parallelism <n>', 'parallelism of the job (slots it takes)', '1')
    .option('--name <name>', 'job name in the cluster (default: the file name)')
    .option('--wait', 'wait until the job ends; exit 0 only when it completed')
    .option('--follow', 'like --wait, showing the job\'s live status (a line per job on a terminal, JSON lines off it or with --json)')
    .option('--json', 'with --follow: one JSON line per interval, also on a terminal')
    .option('--sign <seed-file>', "sign the bundle with this nkey seed file ('weir keygen'); nodes started with --trust run only signed bundles")
    .option('--valid-for <duration>', 'with --sign: how long nodes may start the bundle after signing (90s, 30m, 12h, 7d; default 7d)')
    .action(async (file: string, f: ConnectionFlags & { parallelism: string; name?: string; wait?: boolean; follow?: boolean; json?: boolean; sign?: string; validFor?: string }) => {
      if (f.follow) f.wait = true;
      if (!existsSync(resolve(file))) program.error(`weir: job file '${file}' not found (looked at ${resolve(file)})`);
      const { readSigningSeed, readValidity } = await import('./security-commands.ts');
      const signingSeed = f.sign === undefined ? undefined : readSigningSeed(program, f.sign);
      const signatureValidForMs = f.validFor === undefined ? undefined : readValidity(program, f.validFor);
      const record = await withClient(program, f, async (c, nc) => {
        const r = await c.submit({ file, name: f.name, parallelism: Number(f.parallelism), signingSeed, signatureValidForMs });
        console.log(`submitted job '${r.name}' (parallelism ${r.parallelism})`);
        if (!f.follow) return f.wait ? c.waitFor(r.name) : r;
        const { followJob } = await import('./follow-job.ts');
        return followJob(nc, f.subjectPrefix ?? 'weir', r.name, f.json || !process.stderr.isTTY ? 'json' : 'line', 1000, c.waitFor(r.name));
      });
      if (f.wait) {
        console.log(`job '${record.name}' ${record.status}${record.reason ? `: ${record.reason}` : ''}`);
        if (record.status !== 'completed') process.exitCode = 1;
      }
    });

  withConnectionFlags(program.command('jobs'))
    .description('list the jobs of the cluster with their status')
    .action(async (f: ConnectionFlags) => {
      await withClient(program, f, async (c) => {
        const jobs = await c.jobs();
        if (jobs.length === 0) return console.log('no jobs');
        console.log(`${'JOB'.padEnd(24)} ${'STATUS'.padEnd(11)} ${'P'.padStart(3)}  SLOTS`);
        for (const j of jobs) console.log(`${j.name.padEnd(24)} ${j.status.padEnd(11)} ${String(j.parallelism).padStart(3)}  ${(j.slots ?? []).join(',') || '-'}${j.lost?.length ? `  (lost ${j.lost.join(',')})` : ''}${j.reason ? `  (${j.reason})` : ''}`);
      });
    });

  withConnectionFlags(program.command('nodes'))
    .description('list the live nodes of the cluster and its coordinator')
    .action(async (f: ConnectionFlags) => {
      await withClient(program, f, async (c) => {
        const [nodes, coordinator] = await Promise.all([c.nodes(), c.coordinator()]);
        for (const n of nodes) console.log(`${n.name.padEnd(24)} ${String(n.slots).padStart(3)} slots  pid ${n.pid} on ${n.host}${n.name === coordinator ? '  (coordinator)' : ''}`);
        if (nodes.length === 0) console.log('no nodes');
      });
    });

  withConnectionFlags(program.command('cancel'))
    .description('stop a job cleanly on every node')
    .argument('<job>', 'job name (see weir jobs)')
    .option('--wait', 'wait until every node stopped it')
    .action(async (job: string, f: ConnectionFlags & { wait?: boolean }) => {
      const r = await withClient(program, f, async (c) => {
        const after = await c.cancel(job);
        return f.wait && after.status === 'cancelling' ? c.waitFor(job) : after;
      });
      console.log(`job '${r.name}' ${r.status}`);
    });
}
