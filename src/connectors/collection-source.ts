import type { Source, SourceReader } from './source.ts';

/**
 * A bounded source over an in-memory array; subtasks read contiguous slices. Position = index.
 * @example
 * ```ts
 * env.fromSource(collectionSource([1, 2, 3]))
 * ```
 */
export function collectionSource<T>(items: readonly T[], name = 'collection'): Source<T> {
  return {
    name,
    replaysSameBatches: true,
    createReader(subtask, parallelism): SourceReader<T> {
      const from = Math.floor((items.length * subtask) / parallelism);
      const to = Math.floor((items.length * (subtask + 1)) / parallelism);
      let next = from;
      return {
        open() {},
        read(out, _timestamps, max) {
          if (next >= to) return -1;
          const end = Math.min(to, next + max);
          const base = out.length - next;
          out.length = base + end;
          for (let i = next; i < end; i++) out[base + i] = items[i]!;
          const n = end - next;
          next = end;
          return n;
        },
        snapshot: () => next,
        restore(position) {
          next = typeof position === 'number' ? position : from;
        },
        close() {},
      };
    },
  };
}
