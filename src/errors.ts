/**
 * Every failure Weir reports is a {@link WeirError} with a stable `code`, so callers can branch
 * on `err.code` instead of parsing messages. Causes are passed through as `cause`.
 */

/** Where in a job something went wrong; every field is optional because not every failure has all. */
export interface ErrorSite {
  /** Job name. */
  job?: string;
  /** Operator name (or uid). */
  operator?: string;
  /** Subtask index of the operator instance. */
  subtask?: number;
  /** Input channel, subject or file the failing data came from. */
  source?: string;
  /** Position of the failing record or frame on its channel (sequence number, line, offset). */
  position?: number;
}

/**
 * Base class of all Weir errors.
 * @example
 * ```ts
 * try { await job.done } catch (e) { if (e instanceof WeirError) console.error(e.code) }
 * ```
 */
export class WeirError extends Error {
  /** Stable machine-readable code, e.g. `WEIR_USER_FUNCTION`. */
  readonly code: string;
  /** Where it happened, when known. */
  readonly site: ErrorSite;

  constructor(code: string, message: string, site: ErrorSite = {}, options?: { cause?: unknown }) {
    super(message + describeSite(site), options);
    this.name = new.target.name;
    this.code = code;
    this.site = site;
  }
}

function describeSite(site: ErrorSite): string {
  const parts: string[] = [];
  if (site.job !== undefined) parts.push(`job '${site.job}'`);
  if (site.operator !== undefined) parts.push(`operator '${site.operator}'${site.subtask !== undefined ? `#${site.subtask}` : ''}`);
  if (site.source !== undefined) parts.push(`from ${site.source}`);
  if (site.position !== undefined) parts.push(`at ${site.position}`);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

/** A user function (map, filter, reduce, …) threw while processing a record. */
export class UserFunctionError extends WeirError {
  /** Index of the failing record in the batch being processed. */
  readonly index: number;
  /** The record that made the function throw. */
  readonly record: unknown;
  constructor(operator: string, index: number, record: unknown, cause: unknown) {
    super('WEIR_USER_FUNCTION', `user function threw: ${causeText(cause)}`, { operator }, { cause });
    this.index = index;
    this.record = record;
  }
}

/** A supervisor restarted a child more often than its intensity allows within its period. */
export class RestartIntensityError extends WeirError {
  constructor(supervisor: string, restarts: number, periodMs: number, cause: unknown) {
    super(
      'WEIR_RESTART_INTENSITY',
      `supervisor '${supervisor}' gave up after ${restarts} restarts within ${periodMs} ms; last failure: ${causeText(cause)}`,
      {},
      { cause },
    );
  }
}

/** The same input kept failing past the restart intensity and the job is configured to fail on poison records. */
export class PoisonRecordError extends WeirError {
  constructor(operator: string, input: string, failures: number, cause: unknown) {
    super('WEIR_POISON_RECORD', `input ${input} failed ${failures} times: ${causeText(cause)}`, { operator }, { cause });
  }
}

/** A job failed; `cause` holds the error that escalated to the top. */
export class JobFailedError extends WeirError {
  constructor(job: string, cause: unknown) {
    super('WEIR_JOB_FAILED', `job failed: ${causeText(cause)}`, { job }, { cause });
  }
}

/** A job was cancelled before it completed. */
export class JobCancelledError extends WeirError {
  constructor(job: string) {
    super('WEIR_JOB_CANCELLED', 'job was cancelled', { job });
  }
}

/** State handed to a snapshot holds a value msgpackr cannot carry faithfully (a function, a symbol, a class instance). */
export class StateNotSerializableError extends WeirError {
  constructor(operator: string, path: string, what: string) {
    super('WEIR_STATE_NOT_SERIALIZABLE', `state value at '${path}' is ${what}, which a snapshot cannot hold; keep state to plain data (objects, arrays, Map, Set, numbers, strings, bigint, Uint8Array, Date)`, { operator });
  }
}

/** A snapshot could not be read: truncated, corrupt, or written by an incompatible format version. */
export class SnapshotCorruptError extends WeirError {
  constructor(key: string, reason: string, site: ErrorSite = {}, cause?: unknown) {
    super('WEIR_SNAPSHOT_CORRUPT', `snapshot '${key}' cannot be read: ${reason}`, site, { cause });
  }
}

/** A snapshot store failed to write or read. */
export class SnapshotStoreError extends WeirError {
  constructor(key: string, cause: unknown) {
    super('WEIR_SNAPSHOT_STORE', `snapshot store failed for '${key}': ${causeText(cause)}`, {}, { cause });
  }
}

/** A frame arriving on a channel was malformed, had the wrong version or was too large. */
export class BadFrameError extends WeirError {
  constructor(reason: string, site: ErrorSite = {}, cause?: unknown) {
    super('WEIR_BAD_FRAME', `bad frame: ${reason}`, site, { cause });
  }
}

/** A record could not be parsed or had no valid timestamp. */
export class BadRecordError extends WeirError {
  constructor(reason: string, site: ErrorSite = {}, cause?: unknown) {
    super('WEIR_BAD_RECORD', `bad record: ${reason}`, site, { cause });
  }
}

/** The job graph or an argument is invalid; the message says what to change. */
export class InvalidJobError extends WeirError {
  constructor(message: string) {
    super('WEIR_INVALID_JOB', message);
  }
}

/** A sequence gap was seen on a channel: records were lost in transport. */
export class SequenceGapError extends WeirError {
  constructor(channel: string, expected: number, got: number) {
    super('WEIR_SEQUENCE_GAP', `expected sequence ${expected} but got ${got}`, { source: channel });
  }
}

/** A connection to NATS (or another external system) failed. */
export class ConnectionError extends WeirError {
  constructor(what: string, cause: unknown) {
    super('WEIR_CONNECTION', `${what}: ${causeText(cause)}`, {}, { cause });
  }
}

/** The tracing worker (the thread that runs the OpenTelemetry SDK for `startTracingWorker`) failed or is gone: spans may not have been exported. */
export class TracingWorkerError extends WeirError {
  constructor(message: string, cause?: unknown) {
    super('WEIR_TRACING_WORKER', `tracing worker: ${message}`, {}, { cause });
  }
}

/** Renders an unknown thrown value as text for an error message. */
export function causeText(cause: unknown): string {
  if (cause instanceof Error) return cause.message;
  return String(cause);
}

/** All error classes, for `instanceof` checks without importing each one. */
export const errors = {
  WeirError,
  UserFunctionError,
  RestartIntensityError,
  PoisonRecordError,
  JobFailedError,
  JobCancelledError,
  StateNotSerializableError,
  SnapshotCorruptError,
  SnapshotStoreError,
  BadFrameError,
  BadRecordError,
  InvalidJobError,
  SequenceGapError,
  ConnectionError,
  TracingWorkerError,
} as const;

// ---- Table API and SQL (src/table/)

/**
 * A SQL statement Weir cannot run: a syntax error, or syntax outside the supported streaming
 * subset, or a name that does not resolve. `line` and `column` (1-based) point into the statement.
 * @example
 * ```ts
 * try { tableEnv.executeSql('SELEC 1') } catch (e) { if (e instanceof SqlError) console.error(e.line, e.column) }
 * ```
 */
export class SqlError extends WeirError {
  /** 1-based line of the offending text in the statement. */
  readonly line: number;
  /** 1-based column of the offending text in the statement. */
  readonly column: number;
  constructor(message: string, line: number, column: number, cause?: unknown) {
    super('WEIR_SQL', `SQL error at line ${line}, column ${column}: ${message}`, {}, { cause });
    this.line = line;
    this.column = column;
  }
}

// ---- Security (encryption at rest, signed job bundles, permissions) ----

/** A configuration of state keys that cannot be used (bad length, bad encoding, duplicate id). */
export class StateKeyError extends WeirError {
  constructor(message: string) {
    super('WEIR_STATE_KEY', message);
  }
}

/**
 * A blob that encryption at rest refuses: not sealed, sealed with a key the provider does not
 * know, or failing authentication (tampered, or the wrong key). Nothing of it is used.
 */
export class BlobRejectedError extends WeirError {
  /** The blob's name (store key or staging subject). */
  readonly blob: string;
  constructor(blob: string, reason: string, where?: string) {
    super('WEIR_BLOB_REJECTED', `blob '${blob}'${where ? ` in ${where}` : ''} rejected: ${reason}; it is not restored`);
    this.blob = blob;
  }
}

/** A job bundle that a node refuses to run: unsigned, signed by a key it does not trust, or changed after signing. */
export class BundleRejectedError extends WeirError {
  constructor(bundle: string, reason: string) {
    super('WEIR_BUNDLE_REJECTED', `job bundle '${bundle}' refused: ${reason}`);
  }
}

// ---- wave3-fencing: attempt epochs of clustered jobs ----

/**
 * A side effect (snapshot write, checkpoint completion, sink write or commit, source consumer) of a
 * clustered job's attempt that is no longer current: the cluster restarted the job as a newer
 * attempt, usually while this node was stalled. The node's stale run stops; nothing of it is kept.
 */
export class StaleAttemptError extends WeirError {
  /** The attempt that was refused. */
  readonly attempt: number;
  /** The job's current attempt. */
  readonly current: number;
  constructor(job: string, attempt: number, current: number, what = 'this run') {
    super('WEIR_STALE_ATTEMPT', `${what} belongs to attempt ${attempt} of the job, but the cluster restarted it as attempt ${current}: refused`, { job });
    this.attempt = attempt;
    this.current = current;
  }
}
