import type { Clock } from '../time/clock.ts';
import { Scheduler } from './scheduler.ts';
import { InspectionBus } from './inspection.ts';
import type { TaskActor } from './task-actor.ts';

/**
 * The actors of one process: a shared cooperative scheduler, a registry to look actors up by id,
 * and an inspection bus. Jobs spawn their task actors here.
 * @example
 * ```ts
 * const system = new ActorSystem({ clock: systemClock }); await system.spawn(actor); system.lookup(actor.id)
 * ```
 */
export class ActorSystem {
  readonly scheduler: Scheduler;
  readonly inspection: InspectionBus;
  readonly clock: Clock;
  private readonly actors = new Map<string, TaskActor>();
  private readonly finishedWaiters = new Set<() => void>();

  constructor(options: { clock: Clock; inspection?: InspectionBus; sliceMs?: number }) {
    this.clock = options.clock;
    this.inspection = options.inspection ?? new InspectionBus();
    this.scheduler = new Scheduler({ sliceMs: options.sliceMs });
  }

  /** Registers and starts an actor. */
  async spawn(actor: TaskActor): Promise<void> {
    if (this.actors.has(actor.id)) throw new Error(`an actor named '${actor.id}' already runs in this system`);
    this.actors.set(actor.id, actor);
    await actor.start();
  }

  /** The actor with this id, if it runs here. */
  lookup(id: string): TaskActor | undefined {
    return this.actors.get(id);
  }

  /** Every actor, in spawn order. */
  list(): TaskActor[] {
    return [...this.actors.values()];
  }

  /** Stops one actor for good and closes it. */
  async stop(id: string): Promise<void> {
    const actor = this.actors.get(id);
    if (!actor) return;
    actor.stop();
    this.actors.delete(id);
    await actor.close();
  }

  /** Called by an actor when it finished; wakes `shutdown({ drain: true })`. */
  notifyFinished(): void {
    for (const w of this.finishedWaiters) w();
  }

  /**
   * Stops every actor. With `drain`, first waits until every actor finished its input (sources
   * exhausted, ends propagated), so nothing in flight is lost.
   */
  async shutdown(options: { drain?: boolean } = {}): Promise<void> {
    if (options.drain) {
      await new Promise<void>((resolve) => {
        const check = () => {
          if (this.list().every((a) => ['finished', 'stopped', 'dead'].includes(a.state()))) {
            this.finishedWaiters.delete(check);
            resolve();
          }
        };
        this.finishedWaiters.add(check);
        check();
      });
    }
    for (const id of [...this.actors.keys()]) await this.stop(id);
  }
}
