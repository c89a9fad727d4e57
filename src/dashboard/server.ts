import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LiveJobStatus } from '../status/job-status.ts';
import { dashboardAssets } from './bundle.ts';

/** Options of {@link startDashboard}. */
export interface DashboardOptions {
  /** Port on 127.0.0.1 (0: any free port). */
  port?: number;
  /**
   * Where a sampled record's trace opens: `{traceId}` in it is replaced, else `/trace/<id>` is
   * appended (Jaeger's UI, the default `http://localhost:16686`).
   */
  traceUi?: string;
}

/** A running dashboard: its URL, the function that feeds it statuses, and close. */
export interface Dashboard {
  readonly url: string;
  update(statuses: LiveJobStatus[]): void;
  close(): Promise<void>;
}

/** How long a closing dashboard waits for a client to take its last bytes before cutting it. */
const CLOSE_GRACE_MS = 1000;

const TYPES: Record<string, string> = { 'index.html': 'text/html; charset=utf-8', 'app.js': 'text/javascript; charset=utf-8', 'app.css': 'text/css; charset=utf-8' };

/**
 * Serves the web dashboard on 127.0.0.1: the static page and `/events`, a Server-Sent Events
 * stream of the jobs' statuses (the newest on connect, then each update). The server keeps only
 * the newest statuses (their histories are bounded rings); a client that does not keep up is
 * skipped until its socket drains, so nothing queues without bound.
 * @example
 * ```ts
 * const dashboard = await startDashboard({ port: 8081 }); watchJobs({ jobs, intervalMs: 1000, onStatus: dashboard.update })
 * ```
 */
export async function startDashboard(options: DashboardOptions = {}): Promise<Dashboard> {
  const assets = await dashboardAssets();
  const config = JSON.stringify({ traceUi: options.traceUi ?? 'http://localhost:16686' });
  let latest = '[]';
  const clients = new Set<ServerResponse>();
  let closing: Promise<void> | undefined;
  // Clients that skipped an update: each gets the newest status once its socket drains.
  const behind = new Set<ServerResponse>();
  const send = (res: ServerResponse, data: string) => {
    // A slow client misses updates rather than buffering them. It is sent the newest once it has drained: waiting for
    // the next update instead left it on a stale status for ever when none came (a job's final status).
    if (res.writableNeedDrain) {
      if (!behind.has(res)) {
        behind.add(res);
        res.once('drain', () => {
          behind.delete(res);
          if (clients.has(res)) send(res, latest);
        });
      }
      return;
    }
    res.write(`data: ${data}\n\n`);
  };
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    if (path === '/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      res.write(`event: config\ndata: ${config}\n\n`);
      send(res, latest);
      clients.add(res);
      req.on('close', () => (clients.delete(res), behind.delete(res)));
      return;
    }
    const name = path === '/' ? 'index.html' : path.slice(1);
    if (!(name in assets)) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[name]!, 'cache-control': 'no-store' }).end(assets[name as keyof typeof assets]);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    update: (statuses) => {
      latest = JSON.stringify(statuses);
      for (const c of clients) send(c, latest);
    },
    // A client that does not read (a paused tab, a stalled proxy) would hold the close for ever: its socket keeps
    // the final status buffered and server.close() waits for every connection. Such a client is cut at once when
    // its buffer is full, others after a grace for their last bytes. Every call returns the same promise.
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const c of clients) if (c.writableNeedDrain) c.destroy();
        else c.end();
        server.closeIdleConnections();
        const grace = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
        grace.unref();
        server.once('close', () => clearTimeout(grace));
      })),
  };
}
