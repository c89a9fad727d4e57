import { open, type Database, type Key, type RootDatabase, type Transaction } from 'lmdb';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StateMap, StateMapFactory } from './state-map.ts';
import { keyGroupOf } from '../key-groups.ts';
import { packValue, unpackValue } from '../snapshot-codec.ts';
import { InvalidJobError, WeirError } from '../../errors.ts';

/** Entries copied per write transaction when a view is restored: bounded memory, few commits. */
const RESTORE_CHUNK = 8192;

/** How the lmdb state backend is set up. */
export interface LmdbBackendOptions {
  kind: 'lmdb';
  /** Directory for the working state files (default: the OS temp directory); each operator instance opens its own database under it and removes it on close. */
  dir?: string;
  /** Entries each state keeps in its in-memory cache before the cache is written back and emptied at the end of a batch (default 65 536). */
  cacheEntries?: number;
}

/** A cache slot saying "no entry" (deleted, or known missing on disk). */
const ABSENT = Symbol('absent');

/**
 * One state's entries in an lmdb database, keyed `[keyGroup, key]` so a key group is one range.
 * Reads go through a cache (a miss reads lmdb synchronously: memory-mapped, no I/O when the page
 * is resident); writes stay in the cache and go to lmdb in one transaction when the cache fills,
 * checked at the end of a batch, or before a snapshot. The cache is thus bounded by its size plus
 * one batch's keys. The database is working state only: durability comes from checkpoints, so
 * commits skip fsync.
 */
class LmdbStateMap<K, S> implements StateMap<K, S> {
  private cache = new Map<K, S | typeof ABSENT>();
  private readonly dirty = new Set<K>();

  constructor(
    private readonly db: Database<Buffer, Key>,
    private readonly maxParallelism: number,
    private readonly cacheEntries: number,
    private readonly operator: string,
  ) {}

  get(key: K): S | undefined {
    const c = this.cache.get(key);
    if (c !== undefined) return c === ABSENT ? undefined : c;
    const bytes = this.db.getBinaryFast(this.diskKey(key));
    const v = bytes === undefined ? ABSENT : (unpackValue(bytes) as S);
    this.cache.set(key, v);
    if (this.cache.size > this.cacheEntries * 2) this.evict();
    return v === ABSENT ? undefined : v;
  }

  set(key: K, value: S): void {
    // Checked here, not only when written back, so the error names the record that brought the key.
    const t = typeof key;
    if (t !== 'string' && t !== 'number') this.diskKey(key);
    this.cache.set(key, value);
    this.dirty.add(key);
    // A batch of new keys, or a restore, must not grow the cache without bound. Evicting within a
    // batch is safe: state objects copy what they hand out and touch what they change in place.
    if (this.cache.size > this.cacheEntries * 2) this.evict();
  }

  delete(key: K): void {
    this.cache.set(key, ABSENT);
    this.dirty.add(key);
  }

  touch(key: K, value: S): void {
    this.set(key, value);
  }

  clear(): void {
    this.cache.clear();
    this.dirty.clear();
    this.db.clearSync();
  }

  endBatch(): void {
    if (this.cache.size > this.cacheEntries) this.evict();
  }

  private evict(): void {
    this.flush();
    this.cache = new Map();
  }

  flush(): void {
    if (this.dirty.size === 0) return;
    const cache = this.cache;
    this.db.transactionSync(() => {
      for (const k of this.dirty) {
        const v = cache.get(k);
        if (v === ABSENT || v === undefined) this.db.removeSync(this.diskKey(k));
        else this.db.putSync(this.diskKey(k), packValue(v) as Buffer);
      }
    });
    this.dirty.clear();
  }

  *[Symbol.iterator](): Iterator<[K, S]> {
    this.flush();
    for (const { key, value } of this.db.getRange({})) yield [(key as unknown as [number, K])[1], unpackValue(value) as S];
  }

  forEach(fn: (value: S, key: K) => void): void {
    this.flush();
    for (const { key, value } of this.db.getRange({})) fn(unpackValue(value) as S, (key as unknown as [number, K])[1]);
  }

  *keys(): Iterable<K> {
    this.flush();
    for (const key of this.db.getKeys({})) yield (key as unknown as [number, K])[1];
  }

  private diskKey(key: K): Key {
    const t = typeof key;
    // lmdb keys hold at most 1978 bytes (4 per UTF-16 unit at worst); the group number takes a few.
    if (t === 'string' && (key as string).length > 490) throw new InvalidJobError(`operator '${this.operator}': the lmdb state backend takes string keys of at most 490 characters, got one of ${(key as string).length}`);
    if (t !== 'string' && t !== 'number' && t !== 'boolean') throw new InvalidJobError(`operator '${this.operator}': the lmdb state backend needs string, number or boolean keys, got ${key === null ? 'null' : t} (use keyBy(r => String(...)) or the heap backend)`);
    return [keyGroupOf(key, this.maxParallelism), key as string | number | boolean];
  }
}

/** The next entry of a range as `[group, key, value]`, unpacked at once (lmdb may reuse the buffer). */
function headOf(it: Iterator<{ key: Key; value: Buffer }>): [number, unknown, unknown] | undefined {
  const r = it.next();
  if (r.done) return undefined;
  const [g, k] = r.value.key as unknown as [number, unknown];
  return [g, k, unpackValue(r.value.value)];
}

/**
 * Opens one lmdb database for an operator instance, with a named sub-database per state.
 * @internal
 */
export function lmdbStateMaps(options: LmdbBackendOptions, operator: string, maxParallelism: number): StateMapFactory {
  const base = options.dir ?? join(tmpdir(), 'weir-state');
  mkdirSync(base, { recursive: true });
  const dir = mkdtempSync(join(base, `${operator.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 60)}-`));
  let root: RootDatabase | undefined;
  const cacheEntries = options.cacheEntries ?? 65_536;
  if (!Number.isInteger(cacheEntries) || cacheEntries < 1) throw new InvalidJobError(`stateBackend.cacheEntries must be a positive integer, got ${cacheEntries}`);
  const openRoot = (): RootDatabase => (root ??= open({ path: join(dir, 'state.mdb'), noSync: true, noMetaSync: true, maxDbs: 256, compression: false }));
  const dbOf = (state: string) => openRoot().openDB<Buffer, Key>({ name: state, encoding: 'binary' });
  // Read transactions held by local snapshots: lmdb keeps the pages they see until they are done.
  const views = new Map<number, Transaction>();
  let nextView = 1;
  /** Per state, the cursor a checkpoint reads its key groups with: the group it expects next and the entry it has read ahead. */
  const cursors = new Map<string, { view: number; next: number; it: Iterator<{ key: Key; value: Buffer }>; head: [number, unknown, unknown] | undefined }>();
  return {
    kind: 'lmdb',
    open<K, S>(state: string): StateMap<K, S> {
      return new LmdbStateMap<K, S>(dbOf(state), maxParallelism, cacheEntries, operator);
    },
    openView(): number {
      const id = nextView++;
      views.set(id, openRoot().useReadTransaction());
      return id;
    },
    restoreView(id: number, names: string[]): void {
      const txn = views.get(id);
      if (!txn) throw new WeirError('WEIR_SNAPSHOT_MISSING', `operator '${operator}': the lmdb view ${id} of this local snapshot is gone (local snapshots on lmdb restore only into the instance that took them)`, { operator });
      for (const name of names) {
        const db = dbOf(name);
        db.clearSync();
        let keys: Key[] = [];
        let values: Buffer[] = [];
        const write = () => {
          const [ks, vs] = [keys, values];
          db.transactionSync(() => {
            for (let i = 0; i < ks.length; i++) db.putSync(ks[i]!, vs[i]!);
          });
          keys = [];
          values = [];
        };
        for (const { key, value } of db.getRange({ transaction: txn })) {
          keys.push(key);
          // The range may hand out a buffer it reuses: copy before the next entry.
          values.push(Buffer.from(value));
          if (keys.length >= RESTORE_CHUNK) write();
        }
        if (keys.length > 0) write();
      }
    },
    readGroup(id: number, state: string, group: number): [unknown[], unknown[]] {
      const txn = views.get(id);
      if (!txn) throw new WeirError('WEIR_SNAPSHOT_MISSING', `operator '${operator}': the lmdb view ${id} was released before its checkpoint was written`, { operator });
      // Keys are [group, key], so groups follow each other in key order: a checkpoint asking for
      // them in ascending order reads each state with one cursor (a range per group costs ~0.5 ms
      // to open), reopened only where it skips unchanged groups.
      let c = cursors.get(state);
      if (!c || c.view !== id || c.next !== group) {
        c?.it.return?.();
        const it = dbOf(state).getRange({ start: [group], transaction: txn })[Symbol.iterator]();
        c = { view: id, next: group, it, head: headOf(it) };
        cursors.set(state, c);
      }
      const keys: unknown[] = [];
      const values: unknown[] = [];
      while (c.head !== undefined && c.head[0] === group) {
        keys.push(c.head[1]);
        values.push(c.head[2]);
        c.head = headOf(c.it);
      }
      c.next = group + 1;
      return [keys, values];
    },
    releaseView(id: number): void {
      for (const [state, c] of cursors)
        if (c.view === id) {
          c.it.return?.();
          cursors.delete(state);
        }
      views.get(id)?.done();
      views.delete(id);
    },
    close() {
      for (const c of cursors.values()) c.it.return?.();
      cursors.clear();
      for (const txn of views.values()) txn.done();
      views.clear();
      const r = root;
      root = undefined;
      // Closing waits for lmdb's writer; the files are working state, removed either way.
      void (r ? r.close() : Promise.resolve()).catch(() => {}).finally(() => rmSync(dir, { recursive: true, force: true }));
    },
  };
}
