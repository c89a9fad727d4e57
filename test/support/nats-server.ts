import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** A nats-server this test started: its own port, store directory and log. */
export interface NatsServerHandle {
  url: string;
  port: number;
  storeDir: string;
  /** The last 64 KB the server logged. */
  logTail(): string;
  /** SIGTERM and wait for exit. */
  stop(): Promise<void>;
  /** SIGKILL and wait for exit (a crash). */
  kill(): Promise<void>;
  /** Starts it again on the same port with the same store, so clients reconnect and JetStream data survives. */
  restart(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Options of {@link startNatsServer}. */
export interface NatsServerOptions {
  jetstream?: boolean;
  /** Extra nats-server configuration text, e.g. an `authorization { ... }` block. */
  config?: string;
  maxPayload?: number;
}

let installAttempted = false;
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const p of running) p.kill('SIGKILL');
});

/**
 * Finds nats-server on PATH or at Debian's /usr/sbin/nats-server; as root, installs Debian's
 * package when missing; otherwise fails saying how to install it.
 */
export function findNatsServer(): string {
  const candidates = [...(process.env.PATH ?? '').split(delimiter).map((d) => join(d, 'nats-server')), '/usr/sbin/nats-server'];
  const found = candidates.find((c) => c && existsSync(c));
  if (found) return found;
  if (process.getuid?.() === 0 && !installAttempted) {
    installAttempted = true;
    spawnSync('apt-get', ['update'], { stdio: 'ignore' });
    spawnSync('apt-get', ['install', '-y', 'nats-server'], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    return findNatsServer();
  }
  throw new Error('nats-server was not found on PATH or at /usr/sbin/nats-server. Install it: `sudo apt-get install nats-server` (Debian/Ubuntu), or put a nats-server binary from https://github.com/nats-io/nats-server/releases on your PATH.');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tcpConnect({ port, host: '127.0.0.1' }, () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/**
 * Starts `nats-server` (JetStream on by default) on a free loopback port with a temporary store.
 * @example
 * ```ts
 * await using nats = await startNatsServer(); const nc = await connect({ servers: nats.url })
 * ```
 */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServerHandle> {
  const binary = findNatsServer();
  const port = await freePort();
  const storeDir = mkdtempSync(join(tmpdir(), 'weir-nats-'));
  const configPath = join(storeDir, 'server.conf');
  writeFileSync(
    configPath,
    [
      `listen: 127.0.0.1:${port}`,
      options.jetstream === false ? '' : `jetstream { store_dir: ${JSON.stringify(join(storeDir, 'js'))} }`,
      options.maxPayload ? `max_payload: ${options.maxPayload}` : '',
      options.config ?? '',
    ].join('\n'),
  );
  let log = '';
  let child: ChildProcess | undefined;
  const exited = () => (child && child.exitCode === null && child.signalCode === null ? new Promise<void>((r) => child!.once('exit', () => r())) : Promise.resolve());

  const launch = async () => {
    const p = spawn(binary, ['-c', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = p;
    running.add(p);
    p.once('exit', () => running.delete(p));
    const append = (d: Buffer) => {
      log = (log + d.toString()).slice(-65536);
    };
    p.stdout!.on('data', append);
    p.stderr!.on('data', append);
    const deadline = Date.now() + 10_000;
    while (!(await accepts(port))) {
      if (p.exitCode !== null) throw new Error(`nats-server exited with code ${p.exitCode}:\n${log}`);
      if (Date.now() > deadline) throw new Error(`nats-server did not accept connections on port ${port} within 10 s:\n${log}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  const stop = async (signal: NodeJS.Signals) => {
    const done = exited();
    child?.kill(signal);
    await done;
  };
  await launch();
  const handle: NatsServerHandle = {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    logTail: () => log,
    stop: () => stop('SIGTERM'),
    kill: () => stop('SIGKILL'),
    restart: async () => {
      await stop('SIGTERM');
      await launch();
    },
    [Symbol.asyncDispose]: async () => {
      await stop('SIGTERM');
      rmSync(storeDir, { recursive: true, force: true });
    },
  };
  return handle;
}
