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
