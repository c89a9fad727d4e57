import type { Clock } from '../time/clock.ts';
import { RestartIntensityError } from '../errors.ts';

/** OTP restart strategies: which children restart when one fails. */
export type SupervisionStrategy = 'one-for-one' | 'one-for-all' | 'rest-for-one';

/** OTP child kinds: permanent always restarts, transient only after a failure, temporary never. */
export type ChildKind = 'permanent' | 'transient' | 'temporary';

/** Exponential backoff between restarts, with jitter so restarted actors do not stampede. */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  multiplier: number;
  /** 0..1: the delay varies by up to this fraction either way. */
  jitter: number;
}

/** How a supervisor restarts its children. */
export interface SupervisionOptions {
  strategy: SupervisionStrategy;
  /** At most this many restarts within {@link SupervisionOptions.withinMs}; one more escalates. */
  maxRestarts: number;
  withinMs: number;
  backoff: BackoffOptions;
}

/** What a user may set: any part of {@link SupervisionOptions}, backoff fields included. */
export type SupervisionConfig = Partial<Omit<SupervisionOptions, 'backoff'>> & { backoff?: Partial<BackoffOptions> };

/** Defaults as OTP and the design brief: 3 restarts in 10 s, backoff from 10 ms to 1 s. */
export const defaultSupervision: SupervisionOptions = {
  strategy: 'one-for-one',
  maxRestarts: 3,
  withinMs: 10_000,
  backoff: { initialMs: 10, maxMs: 1_000, multiplier: 2, jitter: 0.2 },
};

/** Anything a supervisor can supervise: an actor or another supervisor. */
export interface SupervisedChild {
  readonly id: string;
  readonly kind: ChildKind;
  /** Restart from the last snapshot; failures while restarting are reported again through `childFailed`. */
  restart(attempt: number, backoffMs: number): void;
  /** Stop for good (the job is failing or cancelled). */
  stop(): void;
}

/**
 * A node of a supervision tree. Children report failures with {@link Supervisor.childFailed};
 * the supervisor restarts one, all, or the rest of its children after a backoff, and escalates
 * to its parent (finally to the job's `onEscalate`) once restarts exceed the intensity.
 *
 * Threading model: event-loop only; restarts run from clock timeouts, never inside the failing turn.
 */
export class Supervisor implements SupervisedChild {
  readonly id: string;
  readonly kind: ChildKind;
  private readonly options: SupervisionOptions;
  private readonly clock: Clock;
  private readonly children: SupervisedChild[] = [];
  private restartTimes: number[] = [];
  private parent: Supervisor | undefined;
  private readonly onEscalate: ((error: Error) => void) | undefined;
  private stopped = false;
  private readonly random: () => number;

  constructor(
    id: string,
    options: SupervisionConfig & { clock: Clock; kind?: ChildKind; onEscalate?: (error: Error) => void; random?: () => number },
  ) {
    this.id = id;
    this.kind = options.kind ?? 'permanent';
    this.options = { ...defaultSupervision, ...options, backoff: { ...defaultSupervision.backoff, ...options.backoff } };
    this.clock = options.clock;
    this.onEscalate = options.onEscalate;
    this.random = options.random ?? Math.random;
  }

  /** The restart intensity in force (the poison-record threshold uses it too). */
  get maxRestarts(): number {
    return this.options.maxRestarts;
  }

  /** Adds a child (children restart in the order added, as OTP's start order). */
  add(child: SupervisedChild): void {
    this.children.push(child);
    if (child instanceof Supervisor) child.parent = this;
  }

  /** A child failed. `countsTowardIntensity` is false for a restart that isolates a poison record. */
  childFailed(child: SupervisedChild, error: unknown, countsTowardIntensity = true): void {
    if (this.stopped) return;
    if (child.kind === 'temporary') {
      this.remove(child);
      return;
    }
    const now = this.clock.now();
    this.restartTimes = this.restartTimes.filter((t) => now - t < this.options.withinMs);
    if (countsTowardIntensity) {
      if (this.restartTimes.length >= this.options.maxRestarts) {
        this.escalate(new RestartIntensityError(this.id, this.restartTimes.length, this.options.withinMs, error));
        return;
      }
      this.restartTimes.push(now);
    }
    const attempt = Math.max(1, this.restartTimes.length);
    const delay = this.backoffDelay(attempt);
    const targets = this.restartTargets(child);
    this.clock.setTimeout(() => {
      if (this.stopped) return;
      for (const c of targets) c.restart(attempt, delay);
    }, delay);
  }

  /** A child ended normally; transient and temporary children are not restarted. */
  childFinished(child: SupervisedChild): void {
    if (child.kind !== 'permanent') this.remove(child);
  }

  /** As a child of another supervisor: restart every child. */
  restart(attempt: number, backoffMs: number): void {
    this.restartTimes = [];
    for (const c of this.children) c.restart(attempt, backoffMs);
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const c of this.children) c.stop();
  }

  private escalate(error: Error): void {
    if (this.parent) {
      this.parent.childFailed(this, error);
      return;
    }
    this.stop();
    this.onEscalate?.(error);
  }

  private restartTargets(child: SupervisedChild): SupervisedChild[] {
    switch (this.options.strategy) {
      case 'one-for-one':
        return [child];
      case 'one-for-all':
        return this.children.slice();
      case 'rest-for-one':
        return this.children.slice(Math.max(0, this.children.indexOf(child)));
    }
  }

  private backoffDelay(attempt: number): number {
    const { initialMs, maxMs, multiplier, jitter } = this.options.backoff;
    const base = Math.min(maxMs, initialMs * multiplier ** (attempt - 1));
    return Math.max(0, Math.round(base * (1 + jitter * (this.random() * 2 - 1))));
  }

  private remove(child: SupervisedChild): void {
    const i = this.children.indexOf(child);
    if (i >= 0) this.children.splice(i, 1);
  }
}
