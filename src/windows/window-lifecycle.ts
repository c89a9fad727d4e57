import { createActor, setup, type Actor, type Snapshot } from 'xstate';

/**
 * The lifecycle of one window range in one operator instance (not per key, not per record):
 * open → firing → lateAccepting → purged. The window operator sends the events when the
 * watermark passes the window's end and later its allowed lateness; no xstate delays are used,
 * so a restored snapshot continues exactly where it was.
 */
export const windowLifecycleMachine = setup({
  types: { events: {} as { type: 'FIRE' } | { type: 'FIRED' } | { type: 'PURGE' }, input: {} as { start: number; end: number }, context: {} as { start: number; end: number; firings: number } },
}).createMachine({
  id: 'window',
  initial: 'open',
  context: ({ input }) => ({ start: input.start, end: input.end, firings: 0 }),
  states: {
    open: { on: { FIRE: 'firing', PURGE: 'purged' } },
    firing: { on: { FIRED: { target: 'lateAccepting', actions: ({ context }) => void context.firings++ } } },
    lateAccepting: { on: { FIRE: 'firing', PURGE: 'purged' } },
    purged: { type: 'final' },
  },
});

/** A running window lifecycle. */
export type WindowLifecycle = Actor<typeof windowLifecycleMachine>;

/** Starts (or, from a persisted snapshot, resumes) the lifecycle of window [start, end). */
export function startWindowLifecycle(start: number, end: number, snapshot?: unknown): WindowLifecycle {
  return createActor(windowLifecycleMachine, { input: { start, end }, snapshot: snapshot as Snapshot<unknown> | undefined }).start();
}
