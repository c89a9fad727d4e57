import { headers, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import type { Envelope } from './envelope.ts';
import type { InputChannel, OutputChannel } from './channel.ts';
import { decodeFrame, encodeFrames } from './frame-codec.ts';
import { BadFrameError, SequenceGapError } from '../errors.ts';

/** Subject of the channel between subtask `from` of an edge and subtask `to`. */
export function channelSubject(prefix: string, job: string, edge: number, from: number, to: number): string {
  return `${prefix}.${job}.${edge}.${from}.${to}`;
}

/** What a receiving end reports besides envelopes. */
export interface NatsChannelEvents {
  /** A frame that cannot be used (undecodable, wrong version, too large): it goes to dead letters, the channel goes on. */
  badFrame(error: BadFrameError, raw: Uint8Array, subject: string): void;
  /** Frames were lost (a sequence gap): the channel cannot go on exactly-once; the job must roll back. */
  gap(error: SequenceGapError): void;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The sending end of a channel over NATS core. Credits are cumulative grants from the receiver
 * on `<subject>.credit` (a grant says "you may have sent N envelopes in total"), so a lost or
 * repeated grant is harmless; the sender publishes an envelope only with credit, so the server
 * never sees a slow consumer and nothing is dropped. A batch larger than the server's
 * `max_payload` goes out as several frames for one credit.
 */
export class NatsOutputChannel implements OutputChannel {
  private granted = 0;
  private sent = 0;
  private frameSeq = 0;
  private listener: (() => void) | undefined;
  private readonly sub: Subscription;
  /** Bytes and frames published (for metrics). */
  bytesOut = 0;
  framesOut = 0;

  constructor(
    private readonly nc: NatsConnection,
    readonly id: string,
    private readonly subject: string,
    private readonly maxFrameBytes = nc.info?.max_payload ?? 1024 * 1024,
  ) {
    this.sub = nc.subscribe(`${subject}.credit`, {
      callback: (_err, msg) => {
        const total = Number(decoder.decode(msg.data));
        if (Number.isFinite(total) && total > this.granted) {
          this.granted = total;
          this.listener?.();
        }
      },
    });
  }

  credits(): number {
    return this.granted - this.sent;
  }

  send(envelope: Envelope): void {
    if (this.credits() <= 0) throw new Error(`channel '${this.id}': send without credit (runtime bug)`);
    this.sent++;
    const frames = encodeFrames(envelope, this.frameSeq, this.maxFrameBytes);
    this.frameSeq += frames.length;
    const traceparent = envelope.kind === 'records' ? envelope.trace?.[0]?.[1] : undefined;
    const h = traceparent ? headers() : undefined;
    if (h && traceparent) h.set('traceparent', traceparent);
    for (const bytes of frames) {
      this.nc.publish(this.subject, bytes, h ? { headers: h } : undefined);
      this.bytesOut += bytes.length;
      this.framesOut++;
    }
  }

  onCredit(listener: () => void): void {
    this.listener = listener;
  }

  close(): void {
    this.listener = undefined;
    if (!this.nc.isClosed()) this.sub.unsubscribe();
  }
}

/**
 * The receiving end of a channel over NATS core: holds at most `capacity` envelopes (plus the
 * extra parts of split ones), grants credit as the actor polls, checks every frame's version,
 * size and sequence number.
 */
export class NatsInputChannel implements InputChannel {
  private readonly queue: Array<{ envelope: Envelope; last: boolean }> = [];
  private envelopes = 0;
  private peak = 0;
  private polled = 0;
  private expectedSeq = 0;
  private listener: (() => void) | undefined;
  private readonly sub: Subscription;
  private readonly keepAlive: ReturnType<typeof setInterval>;
  /** Frames dropped as duplicates, and frames dead-lettered. */
  duplicates = 0;
  badFrames = 0;
  bytesIn = 0;

  constructor(
    private readonly nc: NatsConnection,
    readonly id: string,
    private readonly subject: string,
    readonly capacity: number,
    private readonly events: NatsChannelEvents,
    private readonly maxFrameBytes = nc.info?.max_payload ?? 1024 * 1024,
  ) {
    this.sub = nc.subscribe(subject, { callback: (_err, msg) => this.onFrame(msg.data) });
    // The first grant, repeated until frames flow: the sender may subscribe to credits after we do.
    this.keepAlive = setInterval(() => this.grant(), 100);
    this.keepAlive.unref();
    void nc.flush().then(() => this.grant());
  }

  private closed = false;

  private grant(): void {
    if (this.closed || this.nc.isClosed()) return;
    try {
      this.nc.publish(`${this.subject}.credit`, encoder.encode(String(this.polled + this.capacity)));
    } catch {
      // The connection is closing or reconnecting: the keep-alive grants again.
    }
  }

  private onFrame(data: Uint8Array): void {
    this.bytesIn += data.length;
    let frame;
    try {
      frame = decodeFrame(data, this.subject, this.maxFrameBytes);
    } catch (error) {
      this.badFrames++;
      this.events.badFrame(error as BadFrameError, data, this.subject);
      return;
    }
    if (frame.s < this.expectedSeq) {
      this.duplicates++;
      return;
    }
    if (frame.s > this.expectedSeq) {
      this.events.gap(new SequenceGapError(this.id, this.expectedSeq, frame.s));
      return;
    }
    this.expectedSeq++;
    const last = frame.m !== true;
    this.queue.push({ envelope: frame.e, last });
    if (last) {
      this.envelopes++;
      if (this.envelopes > this.peak) this.peak = this.envelopes;
    }
    this.listener?.();
  }

  size(): number {
    return this.envelopes;
  }

  peakSize(): number {
    return this.peak;
  }

  poll(): Envelope | undefined {
    const head = this.queue[0];
    if (head === undefined) return undefined;
    // A split envelope is handed over part by part (each a valid records envelope); its credit returns with the last part.
    this.queue.shift();
    if (head.last) {
      this.envelopes--;
      this.polled++;
      this.grant();
    }
    return head.envelope;
  }

  onData(listener: () => void): void {
    this.listener = listener;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.keepAlive);
    this.listener = undefined;
    if (!this.nc.isClosed()) this.sub.unsubscribe();
  }
}
