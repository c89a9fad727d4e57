import type { Command } from 'commander';
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
