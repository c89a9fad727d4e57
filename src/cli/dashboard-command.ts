import type { Command } from 'commander';
import type { ConnectionFlags } from './cluster-commands.ts';
import { natsErrorLine } from './cli-errors.ts';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Dashboard } from '../dashboard/server.ts';

/** Default dashboard port (Flink's web UI port, where Flink users look first). */
export const DEFAULT_DASHBOARD_PORT = 8081;

/** The port of `--dashboard [port]` / `--port <port>`: a flag alone means the default. */
export function dashboardPort(program: Command, value: string | boolean | undefined): number {
  if (value === undefined || value === true) return DEFAULT_DASHBOARD_PORT;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) program.error(`weir: the dashboard port must be an integer from 0 to 65535 (0: any free port), got '${value}'`);
  return port;
}

/** Starts the dashboard and prints where it is, or ends with one clear line (the port is taken, …). */
export async function openDashboard(program: Command, port: number, traceUi: string | undefined): Promise<Dashboard> {
  const { startDashboard } = await import('../dashboard/server.ts');
  try {
    const dashboard = await startDashboard({ port, traceUi });
    console.error(`weir: dashboard on ${dashboard.url}`);
    return dashboard;
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    program.error(e.code === 'EADDRINUSE' ? `weir: cannot serve the dashboard on 127.0.0.1:${port}: the port is in use; pick another with --dashboard <port> (0: any free port)` : `weir: cannot serve the dashboard: ${e.message}`);
  }
}

/** Feeds a dashboard with the statuses a cluster's nodes publish over NATS (what `weir dashboard` and `weir node --dashboard` show). */
export async function dashboardFromNats(nc: NatsConnection, prefix: string, dashboard: Dashboard): Promise<() => void> {
  const { followStatus } = await import('../status/nats-status.ts');
  return followStatus(nc, prefix, (jobs) => dashboard.update(jobs));
}

/** Adds `weir dashboard`: the web dashboard of a cluster's jobs, from the statuses its nodes publish over NATS. */
export function addDashboardCommand(program: Command): void {
  program
    .command('dashboard')
    .description('serve the web dashboard of a cluster\'s jobs on 127.0.0.1 (statuses its nodes publish over NATS)')
    .option('--nats <urls>', 'NATS server URLs, comma-separated (default $NATS_URL or nats://127.0.0.1:4222)')
    .option('--subject-prefix <prefix>', 'subject prefix of the cluster (default weir)')
    .option('--port <port>', 'port on 127.0.0.1 (0: any free port)', '8081')
    .option('--trace-ui <url>', "where a sampled record's trace opens ({traceId} is replaced; default Jaeger at http://localhost:16686)")
    .option('--user <user>', 'NATS user').option('--password <password>', 'NATS password').option('--token <token>', 'NATS token')
    .option('--nkey <file>', 'NATS nkey seed file').option('--creds <file>', 'NATS credentials file')
    .option('--tls-ca <file>', 'CA certificate for TLS to NATS').option('--tls-cert <file>', 'client certificate').option('--tls-key <file>', 'client key')
    .action(async (f: ConnectionFlags & { port: string; traceUi?: string }) => {
      const servers = (f.nats ?? process.env.NATS_URL ?? 'nats://127.0.0.1:4222').split(',');
      const { connectNats, closeNats } = await import('../cluster/nats-connect.ts');
      const port = dashboardPort(program, f.port);
      let nc!: Awaited<ReturnType<typeof connectNats>>;
      try {
        nc = await connectNats({ servers, name: `weir-dashboard-${process.pid}`, user: f.user, password: f.password, token: f.token, nkeySeedFile: f.nkey, credsFile: f.creds, tls: f.tlsCa || f.tlsCert ? { caFile: f.tlsCa, certFile: f.tlsCert, keyFile: f.tlsKey } : undefined });
      } catch (error) {
        program.error(natsErrorLine(servers, error));
      }
      const dashboard = await openDashboard(program, port, f.traceUi);
      const stop = await dashboardFromNats(nc, f.subjectPrefix ?? 'weir', dashboard);
      const leave = async () => {
        stop();
        try {
          await dashboard.close();
        } finally {
          await closeNats(nc);
          process.exit(0);
        }
      };
      process.once('SIGINT', () => void leave());
      process.once('SIGTERM', () => void leave());
    });
}
