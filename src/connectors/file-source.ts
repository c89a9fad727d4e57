import { closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Source, SourceContext, SourceReader } from './source.ts';
import { BadRecordError, InvalidJobError } from '../errors.ts';

/** Options of {@link fileSource}. */
export interface FileSourceOptions<T> {
  /** Files to read, in order. */
  paths?: string[];
  /** Or every file of a directory (sorted by name; hidden files skipped). */
  directory?: string;
  /** `lines`: each line is a string record; `jsonl`: each line is parsed as JSON. */
  format: 'lines' | 'jsonl';
  /** Event time of a record; a non-finite result sends the record to dead letters. */
  timestamp?: (record: T) => number;
  /** A longer line goes to dead letters unread, so one hostile line cannot take unbounded memory (default 16 MiB). */
  maxLineBytes?: number;
  name?: string;
}

/** Where a reader is: which of its files, the byte offset of the next line and its line number. */
interface FilePosition {
  file: number;
  offset: number;
  line: number;
}

const CHUNK = 64 * 1024;
const MAX_LINE = 16 * 1024 * 1024;
const NEWLINE = 10;

/**
 * Reads text files line by line (plain lines or JSON lines), files spread over subtasks. The
 * reader's position (file, byte offset, line) is its snapshot, so a restore continues exactly at
 * the next unread line. A line that does not parse, or a record without a valid timestamp, goes
 * to dead letters with `file:line` and the reason; reading goes on.
 * @example
 * ```ts
 * env.fromSource(fileSource<Click>({ directory: 'clicks/', format: 'jsonl', timestamp: (c) => c.at }))
 * ```
 */
export function fileSource<T = string>(options: FileSourceOptions<T>): Source<T> {
  const name = options.name ?? 'file-source';
  const files = () => {
    if (options.paths) return options.paths;
    if (!options.directory) throw new InvalidJobError(`file source '${name}': give 'paths' or 'directory'`);
    return readdirSync(options.directory)
      .filter((f) => !f.startsWith('.'))
      .sort()
      .map((f) => join(options.directory!, f))
      .filter((p) => statSync(p).isFile());
  };
  return {
    name,
    hasTimestamps: options.timestamp !== undefined,
    createReader: (subtask, parallelism) => new FileReader<T>(files().filter((_, i) => i % parallelism === subtask), options),
  };
}

class FileReader<T> implements SourceReader<T> {
  private pos: FilePosition = { file: 0, offset: 0, line: 0 };
  private fd: number | undefined;
  private buffer = Buffer.allocUnsafe(CHUNK);
  private ctx!: SourceContext;

  constructor(
    private readonly files: string[],
    private readonly options: FileSourceOptions<T>,
  ) {}

  open(ctx: SourceContext): void {
    this.ctx = ctx;
  }

  read(out: T[], timestamps: number[] | null, max: number): number {
    let n = 0;
    while (n < max) {
      if (this.pos.file >= this.files.length) return n > 0 ? n : -1;
      const fd = (this.fd ??= openSync(this.files[this.pos.file]!, 'r'));
      let got = readSync(fd, this.buffer, 0, this.buffer.length, this.pos.offset);
      if (got === 0) {
        this.nextFile();
        continue;
      }
      let start = 0;
      for (let i = 0; i < got && n < max; i++) {
        if (this.buffer[i] !== NEWLINE) continue;
        if (this.emit(start, i, out, timestamps)) n++;
        start = i + 1;
      }
      if (start === 0 && n < max) {
        // No newline in the chunk: a line longer than the buffer, or the last line without a newline.
        if (got < this.buffer.length) {
          if (this.emit(0, got, out, timestamps)) n++;
          start = got;
        } else if (this.buffer.length >= (this.options.maxLineBytes ?? MAX_LINE)) {
          this.skipLongLine(fd);
          continue;
        } else {
          this.buffer = Buffer.allocUnsafe(Math.min(this.buffer.length * 2, this.options.maxLineBytes ?? MAX_LINE));
          continue;
        }
      }
      this.pos.offset += start;
      got = 0;
    }
    return n;
  }

  /** Dead-letters the over-long line at the position and moves past its newline (or to the end of the file), reading it chunk by chunk. */
  private skipLongLine(fd: number): void {
    this.pos.line++;
    const where = `${this.files[this.pos.file]}:${this.pos.line}`;
    let off = this.pos.offset + this.buffer.length;
    for (;;) {
      const got = readSync(fd, this.buffer, 0, this.buffer.length, off);
      const nl = this.buffer.subarray(0, got).indexOf(NEWLINE);
      if (got === 0 || nl >= 0) {
        off += nl >= 0 ? nl + 1 : 0;
        break;
      }
      off += got;
    }
    const length = off - this.pos.offset;
    this.ctx.deadLetter(new BadRecordError(`${where}: line of ${length} bytes or more is longer than the ${this.buffer.length} allowed (maxLineBytes)`, { operator: this.ctx.operator, source: where, position: this.pos.line }), `<${length} bytes>`, this.pos.line);
    this.pos.offset = off;
    this.buffer = Buffer.allocUnsafe(CHUNK);
  }

  /** Parses bytes [start, end) of the buffer as one line (the line the position points at), then moves past it. */
  private emit(start: number, end: number, out: T[], timestamps: number[] | null): boolean {
    this.pos.line++;
    let e = end;
    if (e > start && this.buffer[e - 1] === 13) e--; // CRLF
    if (e === start) return false;
    const text = this.buffer.toString('utf8', start, e);
    const where = `${this.files[this.pos.file]}:${this.pos.line}`;
    let record: T;
    if (this.options.format === 'jsonl') {
      try {
        record = JSON.parse(text) as T;
      } catch (error) {
        this.ctx.deadLetter(new BadRecordError(`${where}: not valid JSON (${(error as Error).message})`, { operator: this.ctx.operator, source: where, position: this.pos.line }), text, this.pos.line);
        return false;
      }
    } else record = text as T;
    if (this.options.timestamp) {
      let ts: number;
      try {
        ts = this.options.timestamp(record);
      } catch (error) {
        ts = NaN;
      }
      if (typeof ts !== 'number' || !Number.isFinite(ts)) {
        this.ctx.deadLetter(new BadRecordError(`${where}: no valid timestamp (got ${String(ts)})`, { operator: this.ctx.operator, source: where, position: this.pos.line }), record, this.pos.line);
        return false;
      }
      timestamps?.push(ts);
    }
    out.push(record);
    return true;
  }

  private nextFile(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    this.pos = { file: this.pos.file + 1, offset: 0, line: 0 };
  }

  snapshot(): FilePosition {
    return { ...this.pos };
  }

  restore(position: unknown): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    this.pos = position ? { ...(position as FilePosition) } : { file: 0, offset: 0, line: 0 };
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
