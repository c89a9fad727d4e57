import { readFileSync } from 'node:fs';
import { credsAuthenticator, nkeyAuthenticator, type NatsConnection, type NodeConnectionOptions } from '@nats-io/transport-node';
import { ConnectionError } from '../errors.ts';
import { alertOf, connectWatchingTls, type TlsRefusal } from './tls-refusal-transport.ts';

/** How to reach and authenticate to NATS (what `weir run --nats …` and `weir node` accept). */
export interface NatsConnectOptions {
  servers: string[];
  name?: string;
  user?: string;
  password?: string;
  token?: string;
  /** A file holding an nkey seed (SU…). */
  nkeySeedFile?: string;
  /** A `.creds` file (JWT + seed). */
  credsFile?: string;
  tls?: { caFile?: string; certFile?: string; keyFile?: string };
  /** Prefix of reply subjects (default `WEIR_INBOX_PREFIX`, which a tenant's job processes set, else `_INBOX`); a tenant's permissions allow only its own (`_INBOX_<tenant>`). */
  inboxPrefix?: string;
  /** Give up connecting after this long (default 5 s). */
  timeoutMs?: number;
}

/**
 * Connects to NATS with every security option passed through. A wrong password, a TLS mismatch
 * or an unreachable server ends in a {@link ConnectionError} naming the servers and the cause
 * within the timeout, never an endless retry (a refused client certificate at once, not at the
 * timeout); once connected, the client reconnects forever.
 * User, password and token default to `NATS_USER`, `NATS_PASSWORD` and `NATS_TOKEN`, so secrets
 * need not appear on a command line (where `ps` shows them).
 */
export async function connectNats(o: NatsConnectOptions): Promise<NatsConnection> {
  const options: NodeConnectionOptions = {
    servers: o.servers,
    name: o.name,
    timeout: o.timeoutMs ?? 5000,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    user: o.user ?? process.env.NATS_USER,
    pass: o.password ?? process.env.NATS_PASSWORD,
    token: o.token ?? process.env.NATS_TOKEN,
  };
  const inboxPrefix = o.inboxPrefix ?? process.env.WEIR_INBOX_PREFIX;
  if (inboxPrefix) options.inboxPrefix = inboxPrefix;
  if (o.credsFile) options.authenticator = credsAuthenticator(readFileSync(o.credsFile));
  else if (o.nkeySeedFile) options.authenticator = nkeyAuthenticator(new TextEncoder().encode(readFileSync(o.nkeySeedFile, 'utf8').trim()));
  if (o.tls) options.tls = { caFile: o.tls.caFile, certFile: o.tls.certFile, keyFile: o.tls.keyFile };
  const refusal: TlsRefusal = {};
  try {
    return await connectWatchingTls(options, refusal);
  } catch (error) {
    // Under TLS 1.3 the server refuses a client certificate after the handshake, with an alert (seldom, during it).
    const alert = refusal.alert ?? alertOf(((error as Error)?.cause ?? error) as NodeJS.ErrnoException);
    if (alert) throw new ConnectionError(`cannot connect to NATS at ${o.servers.join(', ')}`, new Error(`TLS: the server refused the client certificate (${alert}); check --tls-cert/--tls-key against the CA it verifies`));
    throw new ConnectionError(`cannot connect to NATS at ${o.servers.join(', ')}`, error);
  }
}

/** Options of {@link closeNats}. */
export interface CloseNatsOptions {
  /** How long a drain may take before the connection is closed without it (default 5 s). */
  drainTimeoutMs?: number;
}

/**
 * Drains a connection and always leaves it closed. nats.js v3's `drain()` needs a connected server:
 * called while the server restarts it rejects or never settles, and the connection goes on
 * reconnecting for ever — a process whose job ended would not exit (chaos seed 84). So a client that
 * is not connected is closed at once (what it had not sent is lost, as in any disconnect), and a
 * drain that fails or outlasts `drainTimeoutMs` falls back to `close()`. Safe on a connection that
 * is already draining or closed, and when called twice.
 * @example
 * ```ts
 * const nc = await connectNats({ servers: ['nats://127.0.0.1:4222'] }); try { … } finally { await closeNats(nc) }
 * ```
 */
export async function closeNats(nc: NatsConnection, o: CloseNatsOptions = {}): Promise<void> {
  if (nc.isClosed()) return;
  // A drain someone else started ends in close (or never, when it broke): wait for it, bounded, like our own.
  const draining = nc.isDraining() ? nc.closed().then(() => {}) : isConnected(nc) ? nc.drain() : undefined;
  if (draining) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([draining.catch(() => {}), new Promise<void>((r) => (timer = setTimeout(r, o.drainTimeoutMs ?? 5000)))]);
    clearTimeout(timer);
  }
  if (!nc.isClosed()) await nc.close().catch(() => {});
}

/**
 * Whether the client holds a live connection to a server (not reconnecting). nats.js has no public
 * call for it (`status()` is an event stream from subscription on); its protocol handler keeps the
 * flag. A shape we do not know counts as connected: the drain is bounded anyway.
 */
function isConnected(nc: NatsConnection): boolean {
  return (nc as unknown as { protocol?: { connected?: boolean } }).protocol?.connected !== false;
}

/** A connection owned by one connector (or client), opened once and closed once: {@link ownNats}. */
export interface OwnedNats {
  /** Connects, once (a second call returns the same connection); after `close()` it rejects. `name` is used when the options give none. */
  connect(name?: string): Promise<NatsConnection>;
  /** The connection, once connected and until closed. */
  readonly connection: NatsConnection | undefined;
  /** Closes it with {@link closeNats}; every call returns the same promise. */
  close(): Promise<void>;
}

/**
 * Holds a connection so that closing while it is still being established does not leave the late
 * connection open: `close()` waits for the connect in flight (bounded by its timeout) and closes
 * what it brought, and a connect that lands after `close()` began is closed at once.
 * @example
 * ```ts
 * const owned = ownNats({ servers }); const nc = await owned.connect(); … await owned.close()
 * ```
 */
export function ownNats(options: NatsConnectOptions, closeOptions: CloseNatsOptions = {}): OwnedNats {
  let connecting: Promise<NatsConnection> | undefined;
  let closing: Promise<void> | undefined;
  let connection: NatsConnection | undefined;
  const closedFirst = () => new ConnectionError(`cannot connect to NATS at ${options.servers.join(', ')}`, new Error('closed while the connection was being established'));
  return {
    get connection() {
      return connection;
    },
    connect: (name) => {
      if (closing) return Promise.reject(closedFirst());
      connecting ??= connectNats({ name, ...options }).then(async (nc) => {
        if (closing) {
          await closeNats(nc, closeOptions);
          throw closedFirst();
        }
        return (connection = nc);
      });
      return connecting;
    },
    close: () =>
      (closing ??= (async () => {
        const nc = await connecting?.catch(() => undefined);
        connection = undefined;
        if (nc) await closeNats(nc, closeOptions);
      })()),
  };
}
