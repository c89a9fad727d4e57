import { NatsConnectionImpl, setTransportFactory, type NatsConnection, type NodeConnectionOptions } from '@nats-io/transport-node';
import { NodeTransport, nodeResolveHost } from '@nats-io/transport-node/lib/node_transport.js';

/**
 * Why a connection attempt's TLS session was ended by the server before it answered anything:
 * under TLS 1.3 a server that refuses the client certificate (none, or one its CA did not sign)
 * does so only after the handshake, with an alert (`certificate required`, `bad certificate`,
 * `unknown ca`). The NATS client then waits for a PONG that never comes, until its connect
 * timeout. {@link connectWatchingTls} ends the attempt at the alert instead.
 */
export interface TlsRefusal {
  /** The alert, as OpenSSL names it, e.g. `tlsv13 alert certificate required`. */
  alert?: string;
  /** Set once connected: reconnects are left to the client (two refusals in a row would make it give up for good). */
  connected?: boolean;
}

/** What {@link TlsRefusal.alert} says when the server reset the connection right after the handshake, losing its alert. */
const RESET = 'no alert: the server reset the connection right after the handshake';

/** A received TLS alert (`ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED`, `ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE`, …). */
export function alertOf(error: NodeJS.ErrnoException): string | undefined {
  if (!/^ERR_SSL_.*ALERT/.test(error.code ?? '')) return undefined;
  return /((?:sslv3|tlsv1\d*) alert [a-z ]+)/i.exec(error.message)?.[1] ?? error.code;
}

/**
 * The Node transport of the NATS client, which, when the server closes the TLS session with an
 * alert before its first answer, hands the client's parser the refusal it would have sent had it
 * spoken NATS (`-ERR 'Authorization Violation'`): the client then fails this server at once (and
 * tries the next one), exactly as for a refused password.
 */
class TlsRefusalTransport extends NodeTransport {
  constructor(private readonly refusal: TlsRefusal) {
    super();
  }

  override setupHandlers(): void {
    super.setupHandlers();
    let answered = false;
    let alert: string | undefined;
    this.socket.once('data', () => {
      answered = true;
    });
    // Before the transport's own handlers, which end the session on close.
    this.socket.prependOnceListener('error', (error: NodeJS.ErrnoException) => {
      alert = alertOf(error) ?? alert;
    });
    this.socket.prependOnceListener('close', () => {
      if (answered || this.refusal.connected || !this.isEncrypted()) return;
      // Closed after the handshake without a word: the alert, or a reset (the client had sent CONNECT) that lost it.
      this.refusal.alert = alert ?? RESET;
      this.yields.push(new TextEncoder().encode("-ERR 'Authorization Violation'\r\n"));
      this.signal.resolve();
    });
  }
}

/**
 * Connects like `connect` of `@nats-io/transport-node`, with a transport that reports a TLS
 * alert at once (see {@link TlsRefusal}); `refusal.alert` is set when that is why it failed.
 * The transport factory is process-wide: a plain `connect` elsewhere resets it to Node's own,
 * which still connects, only without the early alert.
 */
export async function connectWatchingTls(options: NodeConnectionOptions, refusal: TlsRefusal): Promise<NatsConnection> {
  setTransportFactory({ factory: () => new TlsRefusalTransport(refusal), dnsResolveFn: nodeResolveHost });
  const nc = await NatsConnectionImpl.connect(options);
  refusal.connected = true;
  return nc;
}
