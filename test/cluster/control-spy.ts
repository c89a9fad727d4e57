// Shared by the cluster tests that watch a job's control subject (early-death, lost-failed).
import type { NatsConnection } from '@nats-io/transport-node';
import type { Source, SourceReader } from '../../src/index.ts';

/** A control message as the spy sees it. */
export type Message = { t: string; from?: string; node?: string; name?: string; attempt?: number; members?: string[] };

/**
 * Two subtasks of numbers; both hold their records until `released()`, polling as a live source does (a source waiting
 * in `whenAvailable` takes no barrier, so the wait is short and checkpoints go on meanwhile).
 */
export function heldNumbers(perSubtask: number, released: () => boolean): Source<number> {
  return {
    name: 'held',
    createReader(subtask): SourceReader<number> {
      let position = 0;
      return {
        open() {},
        read(out, _ts, max) {
          if (position >= perSubtask) return -1;
          if (!released()) return 0;
          const n = Math.min(max, perSubtask - position);
          for (let i = 0; i < n; i++) out.push(subtask * 1_000_000 + position + i);
          position += n;
          return n;
        },
        whenAvailable: () => new Promise<void>((resolve) => setTimeout(resolve, 5)),
        snapshot: () => position,
        restore(p) {
          position = p as number;
        },
        close() {},
      };
    },
  };
}

/** Subscribes to a job's control subject: every message seen, and `until(pred)` resolving once `pred` holds for them. */
export async function watchControl(spy: NatsConnection, subject: string): Promise<{ messages: Message[]; until: (pred: () => boolean) => Promise<void> }> {
  const messages: Message[] = [];
  let listener: (() => void) | undefined;
  spy.subscribe(subject, {
    callback: (_e, msg) => {
      messages.push(msg.json<Message>());
      listener?.();
    },
  });
  await spy.flush();
  const until = (pred: () => boolean) =>
    new Promise<void>((resolve) => {
      listener = () => pred() && resolve();
      listener();
    });
  return { messages, until };
}
