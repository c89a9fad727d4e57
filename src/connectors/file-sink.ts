import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { TwoPhaseCommitSink, TwoPhaseCommitWriter } from './sink.ts';
import { WeirError } from '../errors.ts';

/** Options of {@link fileSink}. */
export interface FileSinkOptions<T> {
  directory: string;
  /** File name prefix (default `part`): committed files are `<prefix>-<subtask>-<epoch>.jsonl`. */
  prefix?: string;
  /** One line per record (default `JSON.stringify`). */
  format?: (record: T) => string;
  name?: string;
}

/** An open epoch: its in-progress file. */
interface FileTxn {
  epoch: number;
  path: string;
  fd: number;
}

/** A pre-committed epoch: the durable `.pending` file and the name it gets when committed. */
interface FileHandle {
  pending: string;
  final: string;
}

/**
 * JSON-lines files written exactly once with checkpoints (Flink's FileSink with two-phase
 * commit): each subtask writes an epoch into a hidden `.inprogress` file; at the checkpoint
 * barrier the file is flushed, fsynced and renamed to `.pending`; when the checkpoint completes it
 * is renamed to its final name. Renames are atomic, so a reader of the directory sees whole
 * committed epochs only; a recovered job commits what its checkpoint pre-committed and deletes
 * everything else it left behind.
 * @example
 * ```ts
 * counts.sinkTo(fileSink({ directory: 'out/counts' }))
 * ```
 */
export function fileSink<T>(options: FileSinkOptions<T>): TwoPhaseCommitSink<T, FileTxn> {
  const prefix = options.prefix ?? 'part';
  const format = options.format ?? ((r: T) => JSON.stringify(r));
  const dir = options.directory;
  return {
    name: options.name ?? 'file-sink',
    twoPhase: true,
    createWriter: (subtask): TwoPhaseCommitWriter<T, FileTxn> => {
      const base = (epoch: number) => `${prefix}-${subtask}-${epoch}`;
      const commit = (handle: unknown) => {
        const h = handle as FileHandle;
        if (existsSync(h.pending)) renameSync(h.pending, h.final);
        else if (!existsSync(h.final)) throw new WeirError('WEIR_SINK_COMMIT', `file sink: neither ${h.pending} nor ${h.final} exists; the pre-committed epoch is lost`, { source: dir });
      };
      return {
        open: () => {
          mkdirSync(dir, { recursive: true });
        },
        beginTransaction: (epoch) => {
          const path = join(dir, `.${base(epoch)}.inprogress`);
          return { epoch, path, fd: openSync(path, 'w') };
        },
        write: (txn, values) => {
          let text = '';
          for (const v of values) text += format(v) + '\n';
          writeSync(txn.fd, text);
        },
        preCommit: (txn): FileHandle => {
          fsyncSync(txn.fd);
          closeSync(txn.fd);
          const pending = join(dir, `.${base(txn.epoch)}.pending`);
          renameSync(txn.path, pending);
          return { pending, final: join(dir, `${base(txn.epoch)}.jsonl`) };
        },
        commit,
        abort: (txn) => {
          try {
            closeSync(txn.fd);
          } catch {
            // already closed by a pre-commit
          }
          if (existsSync(txn.path)) unlinkSync(txn.path);
        },
        recover: (committable) => {
          for (const h of committable) commit(h);
          const keep = new Set((committable as FileHandle[]).map((h) => h.pending));
          // Leftovers of this subtask that no checkpoint covers: a failed run's open or pre-committed epochs.
          const mine = new RegExp(`^\\.${prefix}-${subtask}-\\d+\\.(inprogress|pending)$`);
          for (const f of readdirSync(dir)) if (mine.test(f) && !keep.has(join(dir, f))) unlinkSync(join(dir, f));
        },
        close: () => {},
      };
    },
  };
}
