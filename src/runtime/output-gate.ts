import type { Envelope, RecordsEnvelope } from '../transport/envelope.ts';
import type { OutputChannel } from '../transport/channel.ts';
import type { Partitioning } from './partitioner.ts';
import { keyGroupOf, operatorIndexForKeyGroup } from '../state/key-groups.ts';
import type { TraceEntries } from '../telemetry/record-tracer.ts';

/**
 * The sending side of an actor: partitions output records into per-channel batches, numbers
 * them (record sequence per channel) and sends them as credits allow.
 *
 * Bounded by construction: the actor stops taking input while sealed batches wait for credit, so
 * what waits here is at most the output of one input batch.
 */
export class OutputGate {
  /** Every channel of every route, in route order. */
  readonly channels: OutputChannel[];
  private readonly routes: Array<{ offset: number; count: number; partitioning: Partitioning; rebalanceNext: number }>;
  private readonly batchSize: number;
  /** Records sealed per channel so far: the next record's sequence number. */
  private seqs: number[];
  private pendingValues: unknown[][];
  private pendingTimestamps: Array<number[] | null>;
  /** Sampled records of each pending batch (only ever set when tracing). */
  private pendingTrace: Array<TraceEntries | undefined>;
  /** Pending arrays adopted from the producer are copied before the first append. */
  private pendingOwned: boolean[];
  private sealed: Envelope[][];
  private sealedCount = 0;
  /** Records sealed for sending so far (for metrics). */
  recordsOut = 0;

  /** One route per downstream edge: its channels (one per receiving subtask) and how records spread over them. */
  constructor(routes: Array<{ channels: OutputChannel[]; partitioning: Partitioning }>, batchSize: number) {
    this.channels = routes.flatMap((r) => r.channels);
    let offset = 0;
    this.routes = routes.map((r) => {
      const route = { offset, count: r.channels.length, partitioning: r.channels.length <= 1 ? ({ kind: 'forward' } as const) : r.partitioning, rebalanceNext: 0 };
      offset += r.channels.length;
      return route;
    });
    this.batchSize = batchSize;
    const channels = this.channels;
    this.seqs = channels.map(() => 0);
    this.pendingValues = channels.map(() => []);
    this.pendingTimestamps = channels.map(() => null);
    this.pendingTrace = channels.map(() => undefined);
    this.pendingOwned = channels.map(() => true);
    this.sealed = channels.map(() => []);
  }

  /** Records sealed on each channel so far, in `channels` order (live array: read, never modify). Status views turn it into records/s per edge. */
  channelRecords(): readonly number[] {
    return this.seqs;
  }

  /** Adds a batch of output records (arrays are not modified). */
  emitBatch(values: unknown[], timestamps: number[] | null, trace?: TraceEntries): void {
    if (values.length === 0) return;
    for (const route of this.routes) {
      const p = route.partitioning;
      switch (p.kind) {
        case 'forward':
          this.append(route.offset, values, timestamps, trace);
          break;
        case 'broadcast':
          for (let c = 0; c < route.count; c++) this.append(route.offset + c, values, timestamps, trace);
          break;
        case 'rebalance': {
          const c = route.rebalanceNext;
          route.rebalanceNext = (c + 1) % route.count;
          this.append(route.offset + c, values, timestamps, trace);
          break;
        }
        case 'hash':
          // One receiver owns every key group: no record needs hashing.
          if (route.count === 1) {
            this.append(route.offset, values, timestamps, trace);
            break;
          }
          this.partitionByKey(values, timestamps, p.key, p.maxParallelism, route.offset, route.count);
          if (trace !== undefined && trace.length > 0) this.traceByKey(values, trace, p.key, p.maxParallelism, route.offset, route.count);
      }
    }
  }

  /** Where the sampled records of a hash-partitioned batch landed (after partitionByKey placed them). */
  private traceByKey(values: unknown[], trace: TraceEntries, key: (v: unknown) => unknown, maxParallelism: number, offset: number, parallelism: number): void {
    for (const [i, tp] of trace) {
      const c = offset + operatorIndexForKeyGroup(maxParallelism, parallelism, keyGroupOf(key(values[i]), maxParallelism));
      // The record is in channel c's pending batch or in the batch sealed last; find it by identity.
      const pv = this.pendingValues[c]!;
      const at = pv.lastIndexOf(values[i]);
      if (at >= 0) (this.pendingTrace[c] ??= []).push([at, tp]);
      else {
        const last = this.sealed[c]![this.sealed[c]!.length - 1];
        if (last?.kind === 'records') {
          const j = last.values.lastIndexOf(values[i]);
          if (j >= 0) (last.trace ??= []).push([j, tp]);
        }
      }
    }
  }

  private partitionByKey(values: unknown[], timestamps: number[] | null, key: (v: unknown) => unknown, maxParallelism: number, offset: number, parallelism: number): void {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      const c = offset + operatorIndexForKeyGroup(maxParallelism, parallelism, keyGroupOf(key(v), maxParallelism));
      const pv = this.writable(c);
      pv.push(v);
      const pt = this.pendingTimestamps[c];
      if (timestamps !== null) {
        if (pt === null) this.pendingTimestamps[c] = fillNaN(pv.length - 1, timestamps[i]!);
        else pt.push(timestamps[i]!);
      } else if (pt !== null) pt.push(NaN);
      if (pv.length >= this.batchSize) this.seal(c);
    }
  }

  private append(c: number, values: unknown[], timestamps: number[] | null, trace?: TraceEntries): void {
    let pv = this.pendingValues[c]!;
    if (pv.length === 0 && values.length <= this.batchSize) {
      // Zero-copy: adopt the producer's arrays as the pending batch.
      this.pendingValues[c] = values;
      this.pendingTimestamps[c] = timestamps;
      this.pendingOwned[c] = false;
      if (trace !== undefined && trace.length > 0) this.pendingTrace[c] = trace.slice();
      if (values.length === this.batchSize) this.seal(c);
      return;
    }
    for (let start = 0; start < values.length; ) {
      pv = this.writable(c);
      const take = Math.min(this.batchSize - pv.length, values.length - start);
      if (trace !== undefined) for (const [i, tp] of trace) if (i >= start && i < start + take) (this.pendingTrace[c] ??= []).push([pv.length + i - start, tp]);
      let pt = this.pendingTimestamps[c];
      if (timestamps !== null && pt === null) pt = this.pendingTimestamps[c] = new Array(pv.length).fill(NaN);
      for (let i = 0; i < take; i++) pv.push(values[start + i]);
      if (pt !== null) for (let i = 0; i < take; i++) pt.push(timestamps === null ? NaN : timestamps[start + i]!);
      start += take;
      if (pv.length >= this.batchSize) this.seal(c);
    }
  }

  private writable(c: number): unknown[] {
    if (!this.pendingOwned[c]) {
      this.pendingValues[c] = this.pendingValues[c]!.slice();
      const pt = this.pendingTimestamps[c];
      if (pt !== null) this.pendingTimestamps[c] = pt!.slice();
      this.pendingOwned[c] = true;
    }
    return this.pendingValues[c]!;
  }

  private seal(c: number): void {
    const values = this.pendingValues[c]!;
    if (values.length === 0) return;
    const envelope: RecordsEnvelope = { kind: 'records', seq: this.seqs[c]!, values, timestamps: this.pendingTimestamps[c]! };
    const trace = this.pendingTrace[c];
    if (trace !== undefined) {
      envelope.trace = trace;
      this.pendingTrace[c] = undefined;
    }
    this.seqs[c]! += values.length;
    this.recordsOut += values.length;
    this.sealed[c]!.push(envelope);
    this.sealedCount++;
    this.pendingValues[c] = [];
    this.pendingTimestamps[c] = null;
    this.pendingOwned[c] = true;
  }

  /** Seals partial batches so they go out with the next flush (on idle, or before a control event). */
  sealPartial(): void {
    for (let c = 0; c < this.channels.length; c++) this.seal(c);
  }

  /** Sends a control event on every channel, after the records emitted before it. */
  emitControl(make: (seq: number) => Envelope): void {
    for (let c = 0; c < this.channels.length; c++) {
      this.seal(c);
      this.sealed[c]!.push(make(this.seqs[c]!));
      this.sealedCount++;
    }
  }

  /** Sends sealed envelopes while credits last. Returns true when nothing sealed is left waiting. */
  flush(): boolean {
    if (this.sealedCount === 0) return true;
    for (let c = 0; c < this.channels.length; c++) {
      const queue = this.sealed[c]!;
      if (queue.length === 0) continue;
      const channel = this.channels[c]!;
      let sent = 0;
      while (sent < queue.length && channel.credits() > 0) channel.send(queue[sent++]!);
      if (sent > 0) {
        queue.splice(0, sent);
        this.sealedCount -= sent;
      }
    }
    return this.sealedCount === 0;
  }

  /** True when sealed envelopes wait for credit. */
  blocked(): boolean {
    return this.sealedCount > 0;
  }

  /** True when sealed envelopes wait and at least one of their channels has a credit now. */
  canProgress(): boolean {
    if (this.sealedCount === 0) return false;
    for (let c = 0; c < this.channels.length; c++) if (this.sealed[c]!.length > 0 && this.channels[c]!.credits() > 0) return true;
    return false;
  }

  /** True when partial (unsealed) records wait. */
  hasPartial(): boolean {
    for (const pv of this.pendingValues) if (pv.length > 0) return true;
    return false;
  }

  /**
   * The sealed envelopes waiting for credit, by reference (they are never changed once sealed):
   * an in-memory snapshot of a stateless actor keeps them, so it can trim its replay log while
   * its output waits. Duplicates sent again after a restore are dropped by receivers (records by
   * sequence number, barriers by checkpoint id, end once).
   */
  waiting(): Envelope[][] {
    return this.sealed.map((q) => q.slice());
  }

  /** Puts back the envelopes {@link OutputGate.waiting} returned, after a {@link OutputGate.restore}. */
  restoreWaiting(waiting: Envelope[][]): void {
    this.sealed = waiting.map((q) => q.slice());
    this.sealedCount = this.sealed.reduce((n, q) => n + q.length, 0);
  }

  /** Sequence positions and partitioner position, for the actor's snapshot (taken only when nothing waits). */
  snapshot(): { seqs: number[]; rebalance: number[] } {
    return { seqs: this.seqs.slice(), rebalance: this.routes.map((r) => r.rebalanceNext) };
  }

  /** Drops everything unsent and continues numbering from a snapshot. */
  restore(s: { seqs: number[]; rebalance: number[] } | undefined): void {
    this.seqs = s ? s.seqs.slice() : this.channels.map(() => 0);
    this.routes.forEach((r, i) => (r.rebalanceNext = s?.rebalance[i] ?? 0));
    this.pendingValues = this.channels.map(() => []);
    this.pendingTimestamps = this.channels.map(() => null);
    this.pendingOwned = this.channels.map(() => true);
    this.pendingTrace = this.channels.map(() => undefined);
    this.sealed = this.channels.map(() => []);
    this.sealedCount = 0;
  }
}

function fillNaN(n: number, last: number): number[] {
  const a = new Array<number>(n).fill(NaN);
  a.push(last);
  return a;
}
