import { WeirError } from '../errors.ts';

/**
 * A record or frame that could not be processed, with everything needed to understand and replay
 * it. Nothing in Weir is dropped silently: it ends here instead.
 */
export interface DeadLetter {
  /** Job name. */
  job: string;
  /** Operator (or channel/connector) that gave up on it. */
  operator: string;
  /** Subtask index of that operator. */
  subtask: number;
  /** Stable error code (a WeirError code, or `WEIR_UNKNOWN`). */
  code: string;
  /** Human-readable reason. */
  reason: string;
  /** Stack of the error, when there is one. */
  stack?: string;
  /** The record itself (or the raw frame bytes). */
  record: unknown;
  /** Channel, subject or file it came from. */
  source?: string;
  /** Position there: sequence number, line number or byte offset. */
  position?: number;
  /** Wall-clock time it was dead-lettered. */
  at: number;
}

/** Receives dead letters; the runtime's default keeps them for the job result and the sink output. */
export type DeadLetterHandler = (letter: DeadLetter) => void;

/**
 * Builds a dead letter from an error, taking code and message from a {@link WeirError} when it is one.
 * @example
 * ```ts
 * onDeadLetter(toDeadLetter(err, record, { job: 'j', operator: 'parse', subtask: 0 }))
 * ```
 */
export function toDeadLetter(
  error: unknown,
  record: unknown,
  where: { job: string; operator: string; subtask: number; source?: string; position?: number },
): DeadLetter {
  const code = error instanceof WeirError ? error.code : 'WEIR_UNKNOWN';
  const reason = error instanceof Error ? error.message : String(error);
  const stack = error instanceof Error ? error.stack : undefined;
  return { ...where, code, reason, stack, record, at: Date.now() };
}
