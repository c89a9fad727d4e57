import { assign, createActor, setup, type Actor } from 'xstate';

/**
 * The checkpoint coordinator's lifecycle as an xstate machine, one checkpoint at a time:
 * idle → triggering (barriers injected at sources) → collecting (acks from every actor) →
 * completing (metadata written, actors notified) → idle; any failure or timeout → aborting → idle.
 * Events come from the coordinator, driven by the runtime's clock (no xstate delays: they would
 * not survive a snapshot).
 */
export const checkpointMachine = setup({
  types: {
    context: {} as { current: number | undefined; completed: number; failed: number; consecutiveFailures: number },
    events: {} as
      | { type: 'TRIGGER'; id: number }
      | { type: 'INJECTED' }
      | { type: 'ALL_ACKED' }
      | { type: 'COMPLETED' }
      | { type: 'FAIL'; reason: string },
  },
  actions: {
    start: assign({ current: ({ event }) => (event.type === 'TRIGGER' ? event.id : undefined) }),
    complete: assign({ completed: ({ context }) => context.current ?? context.completed, consecutiveFailures: 0, current: undefined }),
    abort: assign({ failed: ({ context }) => context.failed + 1, consecutiveFailures: ({ context }) => context.consecutiveFailures + 1, current: undefined }),
  },
}).createMachine({
  id: 'checkpoint',
  initial: 'idle',
  context: { current: undefined, completed: 0, failed: 0, consecutiveFailures: 0 },
  states: {
    idle: { on: { TRIGGER: { target: 'triggering', actions: 'start' } } },
    triggering: { on: { INJECTED: 'collecting', FAIL: 'aborting' } },
    collecting: { on: { ALL_ACKED: 'completing', FAIL: 'aborting' } },
    completing: { on: { COMPLETED: { target: 'idle', actions: 'complete' }, FAIL: 'aborting' } },
    aborting: { always: { target: 'idle', actions: 'abort' } },
  },
});

/** A running coordinator machine. */
export type CheckpointMachineActor = Actor<typeof checkpointMachine>;

/** Starts a coordinator machine. */
export function startCheckpointMachine(): CheckpointMachineActor {
  return createActor(checkpointMachine).start();
}
