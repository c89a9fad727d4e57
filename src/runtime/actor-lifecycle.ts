import { assign, createActor, setup, type Actor as XActor } from 'xstate';

/**
 * The lifecycle of one actor as an xstate machine. It sees lifecycle events only (a handful per
 * actor run), never records: records flow through plain loops at millions per second, far
 * beyond what `actor.send` can carry.
 *
 *   starting → running ⇄ (failed → restarting → running) → finishing → finished
 *   any → stopped (cancelled) · failed → dead (supervisor gave up)
 */
export const actorLifecycleMachine = setup({
  types: {
    context: {} as { restarts: number; lastError: string | undefined },
    events: {} as
      | { type: 'STARTED' }
      | { type: 'FAILED'; error: string }
      | { type: 'RESTART' }
      | { type: 'RESTORED' }
      | { type: 'FINISH' }
      | { type: 'FINISHED' }
      | { type: 'STOP' }
      | { type: 'GIVE_UP' },
  },
  actions: {
    recordError: assign({ lastError: ({ event }) => (event.type === 'FAILED' ? event.error : undefined) }),
    countRestart: assign({ restarts: ({ context }) => context.restarts + 1 }),
  },
}).createMachine({
  id: 'actor',
  initial: 'starting',
  context: { restarts: 0, lastError: undefined },
  states: {
    starting: { on: { STARTED: 'running', FAILED: { target: 'failed', actions: 'recordError' }, STOP: 'stopped' } },
    running: {
      on: {
        FAILED: { target: 'failed', actions: 'recordError' },
        FINISH: 'finishing',
        STOP: 'stopped',
      },
    },
    failed: { on: { RESTART: 'restarting', GIVE_UP: 'dead', STOP: 'stopped' } },
    restarting: {
      entry: 'countRestart',
      on: { RESTORED: 'running', FAILED: { target: 'failed', actions: 'recordError' }, STOP: 'stopped' },
    },
    finishing: { on: { FINISHED: 'finished', FAILED: { target: 'failed', actions: 'recordError' }, STOP: 'stopped' } },
    finished: { type: 'final' },
    stopped: { type: 'final' },
    dead: { type: 'final' },
  },
});

/** The states an actor can be in. */
export type ActorLifecycleState = 'starting' | 'running' | 'failed' | 'restarting' | 'finishing' | 'finished' | 'stopped' | 'dead';

/** A running lifecycle machine. */
export type ActorLifecycle = XActor<typeof actorLifecycleMachine>;

/**
 * Starts a lifecycle machine for one actor.
 * @example
 * ```ts
 * const life = startLifecycle(); life.send({ type: 'STARTED' }); lifecycleState(life) // 'running'
 * ```
 */
export function startLifecycle(): ActorLifecycle {
  return createActor(actorLifecycleMachine).start();
}

/** The current state name of a lifecycle machine. */
export function lifecycleState(life: ActorLifecycle): ActorLifecycleState {
  return life.getSnapshot().value as ActorLifecycleState;
}
