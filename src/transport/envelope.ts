/**
 * What travels on a channel: batches of records and in-band control events, as plain data that
 * survives a msgpackr round trip. Control events follow the records on the same channel, so
 * ordering is by construction.
 *
 * `seq` counts records per channel: a records envelope's `seq` is the sequence number of its first
 * record; a control event's `seq` is the number of records sent before it. Receivers use it to drop
 * records a restarted sender emits a second time.
 */
export type Envelope<T = unknown> =
  | RecordsEnvelope<T>
  | WatermarkEnvelope
  | BarrierEnvelope
  | IdleEnvelope
  | EndEnvelope;

/** A batch of records, with event timestamps in a parallel array when the stream has them. */
export interface RecordsEnvelope<T = unknown> {
  kind: 'records';
  seq: number;
  values: T[];
  /** Event time per record (ms since epoch), or null for a stream without timestamps. */
  timestamps: number[] | null;
  /** Sampled records' W3C trace context: pairs of [index in values, traceparent]. */
  trace?: Array<[number, string]>;
}

/** No record with a timestamp at or below `time` will follow on this channel. */
export interface WatermarkEnvelope {
  kind: 'watermark';
  seq: number;
  time: number;
}

/** A checkpoint barrier (aligned checkpoints): everything before it belongs to checkpoint `checkpointId`. */
export interface BarrierEnvelope {
  kind: 'barrier';
  seq: number;
  checkpointId: number;
  /** True when the checkpoint is a user-requested savepoint. */
  savepoint?: boolean;
}

/** The sender became idle (no records for a while) or active again; idle inputs do not hold back watermarks. */
export interface IdleEnvelope {
  kind: 'idle';
  seq: number;
  idle: boolean;
}

/** The sender will send nothing more on this channel. */
export interface EndEnvelope {
  kind: 'end';
  seq: number;
}

/** A control event, i.e. anything but a batch of records. */
export type ControlEnvelope = WatermarkEnvelope | BarrierEnvelope | IdleEnvelope | EndEnvelope;

/**
 * Processing time reached `time` in an actor. Never sent on a channel: it is logged with the
 * actor's input so a replay after a restart fires processing-time timers at the same points.
 */
export interface ProcessingTimeEnvelope {
  kind: 'processingTime';
  seq: number;
  time: number;
}
