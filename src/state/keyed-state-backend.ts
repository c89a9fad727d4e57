import type { Clock } from '../time/clock.ts';
import type { StateDescriptor } from './state-descriptor.ts';
import { AggregatingTable, ListTable, MapTable, ReducingTable, SingleValueTable, type KeyContext, type KeyedStateTable } from './keyed-state.ts';
import { KeyedTimers } from './timer-service.ts';
import { keyGroupOf, keyGroupRangeForOperator } from './key-groups.ts';
import { InvalidJobError } from '../errors.ts';
import { heapStateMaps, type StateMap, type StateMapFactory } from './backends/state-map.ts';
import type { CheckpointParts } from '../checkpoint/checkpoint-parts.ts';

/**
 * A key group's share of a snapshot: every state's entries and every timer of its keys. Entries
 * are written as columns, `[state, keys, values]`: no pair array per entry to build, promote and
 * pack (a million of them made a full local snapshot of 1M keys cost more than the work between
 * two). Snapshots written before had `states: [state, [[key, value], …]]`; restore reads both.
 */
interface KeyGroupSnapshot {
  columns?: Array<[string, unknown[], unknown[]]>;
  states?: Array<[string, Array<[unknown, unknown]>]>;
  eventTimers: Array<[unknown, number]>;
  processingTimers: Array<[unknown, number]>;
}

/**
 * Changed keys since the last local snapshot, as columns: `keys`, and per state the values of
 * those keys (undefined: none); the timers of keys whose timers changed; appended list elements
 * of keys not otherwise changed.
 */
export interface KeyedDelta<K> {
  keys: K[];
  states: Array<[string, unknown[]]>;
  timers: Array<[K, number[], number[]]>;
  appends: Array<[K, Array<[string, unknown[]]>]>;
}

/** Keyed state of one operator instance, written per key group so it can be rescaled. */
export interface KeyedBackendSnapshot {
  maxParallelism: number;
  groups: Array<[number, KeyGroupSnapshot]>;
  /** A local snapshot on lmdb: the entries are in this read view of the instance's own database (`groups` hold only timers). */
  view?: { id: number; states: string[] };
}

/** Local snapshot views kept: the newest one, and the one before it while the newest may still fail to land. */
const VIEWS_KEPT = 2;

/**
 * The keyed state backend of one keyed operator instance: named state tables, the current key,
 * and event- and processing-time timers. Entries live where `maps` keeps them: on the heap (the
 * default) or in lmdb behind a write cache; snapshots have the same layout either way. The operator sets {@link KeyedStateBackend.currentKey}
 * before calling user code; state objects read it, so user code never passes keys around.
 */
export class KeyedStateBackend<K> implements KeyContext<K> {
  currentKey!: K;
  readonly eventTimers = new KeyedTimers<K>();
  readonly processingTimers = new KeyedTimers<K>();
  private readonly tables = new Map<string, KeyedStateTable<K, unknown>>();
  /** Restored entries of states the operator has not asked for yet (states may be created lazily). */
  private pending = new Map<string, StateMap<unknown, unknown>>();
  /** Keys whose state or timers changed since the last local snapshot (and since the last checkpoint capture). */
  private dirty = new Set<K>();
  /**
   * Keys changed since the last local snapshot but before the last checkpoint capture, whose key
   * groups that capture took: kept apart so the next capture does not count their groups again.
   */
  private dirtyBeforeCapture: Set<K> | undefined;
  /** Keys whose timers changed since the last local snapshot (a delta carries their timers). */
  private timersDirty = new Set<K>();
  /** List elements appended since the last local snapshot, per key (not dirty) and state. */
  private appended = new Map<K, Map<string, unknown[]>>();
  private range: { start: number; end: number };
  /** Ids of the views held by local snapshots, oldest first (lmdb). */
  private views: number[] = [];
  /** Key groups changed since the last checkpoint capture (1 = changed), folded in from `dirty` (lmdb). */
  private groupDirty: Uint8Array;
  /** Captures of checkpoints not yet known complete: their changed groups (null: all). */
  private captures: Array<[number, Uint8Array | null]> = [];
  /** Every group counts as changed (nothing checkpointed yet, or restored since). */
  private allGroupsChanged = true;

  constructor(
    private readonly operator: string,
    private readonly clock: Clock,
    readonly maxParallelism: number,
    parallelism: number,
    subtask: number,
    private readonly maps: StateMapFactory = heapStateMaps,
  ) {
    this.range = keyGroupRangeForOperator(maxParallelism, parallelism, subtask);
    this.groupDirty = new Uint8Array(maxParallelism);
  }

  now(): number {
    return this.clock.now();
  }

  markDirty(): void {
    this.dirty.add(this.currentKey);
  }

  /** The current key's timers changed (registered, deleted or fired). */
  markTimersDirty(): void {
    this.dirty.add(this.currentKey);
    this.timersDirty.add(this.currentKey);
  }

  markAppended(state: string, stored: unknown): void {
    const k = this.currentKey;
    if (this.dirty.has(k) || this.dirtyBeforeCapture?.has(k) === true) return;
    let perState = this.appended.get(k);
    if (!perState) this.appended.set(k, (perState = new Map()));
    const items = perState.get(state);
    if (items) items.push(stored);
    else perState.set(state, [stored]);
  }

  /** Every state and the timers of each key changed since the last call (or {@link KeyedStateBackend.clearDelta}). */
  delta(): KeyedDelta<K> {
    const before = this.dirtyBeforeCapture;
    if (before) for (const k of this.dirty) before.add(k);
    const keys = Array.from(before ?? this.dirty);
    const states: KeyedDelta<K>['states'] = [];
    for (const [name, t] of this.tables) {
      const map = t.table;
      const values = new Array<unknown>(keys.length);
      for (let i = 0; i < keys.length; i++) values[i] = map.get(keys[i]!);
      states.push([name, values]);
    }
    const timers: KeyedDelta<K>['timers'] = [];
    for (const k of this.timersDirty) timers.push([k, this.eventTimers.timesOf(k), this.processingTimers.timesOf(k)]);
    const appends: KeyedDelta<K>['appends'] = [];
    // A key that became dirty after its appends is in `keys` already, with the whole list.
    for (const [k, perState] of this.appended) if (!this.dirty.has(k) && before?.has(k) !== true) appends.push([k, [...perState]]);
    this.clearDelta();
    return { keys, states, timers, appends };
  }

  clearDelta(): void {
    this.foldDirtyGroups();
    this.dirty.clear();
    this.dirtyBeforeCapture = undefined;
    this.timersDirty.clear();
    this.appended.clear();
  }

  /** Applies a {@link KeyedStateBackend.delta} on top of the restored state. */
  applyDelta(delta: KeyedDelta<K>): void {
    for (const [k, perState] of delta.appends) {
      for (const [name, items] of perState) {
        const target = this.tables.get(name)?.table ?? this.pendingTable(name);
        const list = target.get(k) as unknown[] | undefined;
        if (list) {
          list.push(...items);
          target.touch(k, list);
        } else target.set(k, items.slice());
      }
    }
    const keys = delta.keys;
    for (const [name, values] of delta.states) {
      const target = (this.tables.get(name)?.table ?? this.pendingTable(name)) as StateMap<K, unknown>;
      for (let i = 0; i < keys.length; i++) {
        const v = values[i];
        if (v === undefined) target.delete(keys[i]!);
        else target.set(keys[i]!, v);
      }
      target.endBatch();
    }
    for (const [k, eventTimes, processingTimes] of delta.timers) {
      this.eventTimers.setTimes(k, eventTimes);
      this.processingTimers.setTimes(k, processingTimes);
    }
  }

  private pendingTable(name: string): StateMap<unknown, unknown> {
    let m = this.pending.get(name);
    if (!m) this.pending.set(name, (m = this.maps.open(name)));
    return m;
  }

  /** A batch ended: disk-backed maps may write their caches back. */
  endBatch(): void {
    for (const t of this.tables.values()) t.table.endBatch();
  }

  /** Releases the backend's files (lmdb); the heap backend has none. */
  close(): void {
    this.maps.close();
  }

  /** Where the entries live: `'heap'` or `'lmdb'`. */
  get kind(): 'heap' | 'lmdb' {
    return this.maps.kind;
  }

  /** The state a descriptor names, created on first use; the same descriptor name always gives the same state. */
  state<S>(descriptor: StateDescriptor): S {
    const existing = this.tables.get(descriptor.name);
    if (existing) {
      if (existing.descriptor.kind !== descriptor.kind) throw new InvalidJobError(`operator '${this.operator}': state '${descriptor.name}' is registered as ${existing.descriptor.kind} state, not ${descriptor.kind}`);
      return existing as unknown as S;
    }
    // Restored entries of a state asked for only now are adopted as they are (on disk, nothing is copied).
    const map = (this.pending.get(descriptor.name) ?? this.maps.open(descriptor.name)) as StateMap<K, any>;
    this.pending.delete(descriptor.name);
    const table = this.createTable(descriptor, map);
    this.tables.set(descriptor.name, table);
    return table as unknown as S;
  }

  private createTable(d: StateDescriptor, map: StateMap<K, any>): KeyedStateTable<K, unknown> {
    switch (d.kind) {
      case 'value':
        return new SingleValueTable<K, unknown>(d, this, map);
      case 'reducing':
        return new ReducingTable<K, unknown>(d, this, map);
      case 'aggregating':
        return new AggregatingTable<K, unknown, unknown, unknown>(d, this, map);
      case 'list':
        return new ListTable<K, unknown>(d, this, map) as KeyedStateTable<K, unknown>;
      case 'map':
        return new MapTable<K, unknown, unknown>(d, this, map) as KeyedStateTable<K, unknown>;
    }
  }

  /** Number of keys with any state (for tests and metrics). */
  keyCount(): number {
    const keys = new Set<K>();
    for (const t of this.tables.values()) for (const k of t.table.keys()) keys.add(k);
    for (const entries of this.pending.values()) for (const k of entries.keys()) keys.add(k as K);
    return keys.size;
  }

  snapshot(): KeyedBackendSnapshot {
    const now = this.clock.now();
    const mp = this.maxParallelism;
    const groups = new Map<number, KeyGroupSnapshot>();
    const group = (g: number): KeyGroupSnapshot => {
      let s = groups.get(g);
      if (!s) groups.set(g, (s = { columns: [], eventTimers: [], processingTimers: [] }));
      return s;
    };
    const addColumns = (name: string, entries: StateMap<unknown, unknown>) => {
      // One [name, keys, values] per key group, found by index: no lookup or array per entry.
      const perGroup = new Array<[string, unknown[], unknown[]] | undefined>(mp);
      entries.forEach((v, k) => {
        const g = keyGroupOf(k, mp);
        let col = perGroup[g];
        if (col === undefined) group(g).columns!.push((col = perGroup[g] = [name, [], []]));
        col[1].push(k);
        col[2].push(v);
      });
    };
    for (const [name, entries] of this.pending) addColumns(name, entries);
    for (const [name, table] of this.tables) {
      table.purgeExpired(now);
      addColumns(name, table.table as StateMap<unknown, unknown>);
    }
    for (const [k, t] of this.eventTimers.entries()) group(keyGroupOf(k, mp)).eventTimers.push([k, t]);
    for (const [k, t] of this.processingTimers.entries()) group(keyGroupOf(k, mp)).processingTimers.push([k, t]);
    return { maxParallelism: mp, groups: [...groups] };
  }

  /** Marks the key groups of the keys changed since the last local snapshot (checkpoints write only changed groups). */
  private foldDirtyGroups(): void {
    const mp = this.maxParallelism;
    for (const k of this.dirty) this.groupDirty[keyGroupOf(k, mp)] = 1;
    for (const k of this.appended.keys()) this.groupDirty[keyGroupOf(k, mp)] = 1;
  }

  /**
   * The state for checkpoint `checkpointId` by key group, on lmdb (undefined elsewhere: the
   * checkpoint takes `snapshot()`). At the barrier the write cache goes to disk and a read view
   * is opened; the groups changed since the last completed checkpoint are then read from that
   * view one at a time while records flow, so neither the barrier nor the packing holds more
   * than one key group's entries on the heap, and unchanged groups are not read at all.
   */
  checkpointParts(checkpointId: number): CheckpointParts | undefined {
    const { openView, readGroup } = this.maps;
    if (!openView || !readGroup) return this.heapCheckpointParts(checkpointId);
    const now = this.clock.now();
    const names: string[] = [];
    for (const [name, table] of this.tables) {
      table.purgeExpired(now);
      table.table.flush();
      names.push(name);
    }
    for (const [name, entries] of this.pending) {
      entries.flush();
      names.push(name);
    }
    const view = openView.call(this.maps);
    const changed = this.captureChanges(checkpointId);
    const mp = this.maxParallelism;
    const timers = new Map<number, { e: Array<[unknown, number]>; p: Array<[unknown, number]> }>();
    const timersOf = (k: unknown) => {
      const g = keyGroupOf(k, mp);
      let t = timers.get(g);
      if (!t) timers.set(g, (t = { e: [], p: [] }));
      return t;
    };
    for (const [k, t] of this.eventTimers.entries()) timersOf(k).e.push([k, t]);
    for (const [k, t] of this.processingTimers.entries()) timersOf(k).p.push([k, t]);
    const groups: number[] = [];
    for (let g = this.range.start; g <= this.range.end; g++) groups.push(g);
    let released = false;
    return {
      base: { maxParallelism: mp },
      groups,
      changed,
      part: (g): [number, KeyGroupSnapshot] => {
        const columns: Array<[string, unknown[], unknown[]]> = [];
        for (const name of names) {
          const [keys, values] = readGroup.call(this.maps, view, name, g);
          if (keys.length > 0) columns.push([name, keys, values]);
        }
        return [g, { columns, eventTimers: timers.get(g)?.e ?? [], processingTimers: timers.get(g)?.p ?? [] }];
      },
      release: () => {
        if (released) return;
        released = true;
        this.maps.releaseView?.(view);
      },
    };
  }

  /**
   * On the heap: the columns of `snapshot()` taken at the barrier, packed group by group after it.
   * Only when every value is a primitive (nothing a later record could change in place);
   * otherwise undefined, and the checkpoint packs `snapshot()` at the barrier.
   */
  private heapCheckpointParts(checkpointId: number): CheckpointParts | undefined {
    const snap = this.snapshot();
    for (const [, part] of snap.groups)
      for (const [, , values] of part.columns!)
        for (let i = 0; i < values.length; i++) {
          const v = values[i];
          if (typeof v === 'object' && v !== null) return undefined;
        }
    const changed = this.captureChanges(checkpointId);
    const byGroup = new Map(snap.groups);
    return { base: { maxParallelism: this.maxParallelism }, groups: [...byGroup.keys()], changed, part: (g) => [g, byGroup.get(g)!] };
  }

  /** Records checkpoint `checkpointId`'s capture: the key groups changed since the last completed checkpoint (`'all'` after a restore). */
  private captureChanges(checkpointId: number): Set<number> | 'all' {
    this.foldDirtyGroups();
    // What was folded now counts for this capture only; the local delta still needs those keys.
    if (this.dirty.size > 0) {
      if (this.dirtyBeforeCapture) for (const k of this.dirty) this.dirtyBeforeCapture.add(k);
      else this.dirtyBeforeCapture = this.dirty;
      this.dirty = new Set();
    }
    this.captures.push([checkpointId, this.allGroupsChanged ? null : this.groupDirty.slice()]);
    this.groupDirty.fill(0);
    this.allGroupsChanged = false;
    const changed = new Set<number>();
    for (const [, dirty] of this.captures) {
      if (dirty === null) return 'all';
      for (let g = 0; g < dirty.length; g++) if (dirty[g] === 1) changed.add(g);
    }
    return changed;
  }

  /** Checkpoint `checkpointId` completed: later checkpoints need not write what it changed. */
  notifyCheckpointComplete(checkpointId: number): void {
    this.captures = this.captures.filter(([id]) => id > checkpointId);
  }

  /** True when {@link KeyedStateBackend.localSnapshot} costs nothing like the state's size (lmdb: a read view). */
  get cheapLocalSnapshot(): boolean {
    return this.maps.openView !== undefined;
  }

  /**
   * A full snapshot for one-actor recovery in this process. On lmdb it copies nothing: the write
   * cache goes to disk and a read transaction keeps the database as it is now (the state may be
   * far larger than the heap); only timers are taken as data. Elsewhere it is {@link KeyedStateBackend.snapshot}.
   */
  localSnapshot(): KeyedBackendSnapshot {
    const openView = this.maps.openView;
    if (!openView) return this.snapshot();
    const now = this.clock.now();
    const states: string[] = [];
    for (const [name, table] of this.tables) {
      table.purgeExpired(now);
      table.table.flush();
      states.push(name);
    }
    for (const [name, entries] of this.pending) {
      entries.flush();
      states.push(name);
    }
    const id = openView.call(this.maps);
    this.views.push(id);
    while (this.views.length > VIEWS_KEPT) this.maps.releaseView?.(this.views.shift()!);
    const mp = this.maxParallelism;
    const groups = new Map<number, KeyGroupSnapshot>();
    const group = (g: number): KeyGroupSnapshot => {
      let s = groups.get(g);
      if (!s) groups.set(g, (s = { columns: [], eventTimers: [], processingTimers: [] }));
      return s;
    };
    for (const [k, t] of this.eventTimers.entries()) group(keyGroupOf(k, mp)).eventTimers.push([k, t]);
    for (const [k, t] of this.processingTimers.entries()) group(keyGroupOf(k, mp)).processingTimers.push([k, t]);
    return { maxParallelism: mp, groups: [...groups], view: { id, states } };
  }

  /** Restores from the snapshots of every old subtask, keeping the key groups this instance owns. */
  restore(snapshots: Array<KeyedBackendSnapshot | null | undefined>): void {
    for (const t of this.tables.values()) t.table.clear();
    for (const m of this.pending.values()) m.clear();
    this.pending = new Map();
    this.clearDelta();
    this.allGroupsChanged = true;
    this.captures = [];
    const eventTimers: Array<[K, number]> = [];
    const processingTimers: Array<[K, number]> = [];
    for (const s of snapshots) {
      if (!s) continue;
      if (s.view) {
        if (!this.maps.restoreView) throw new InvalidJobError(`operator '${this.operator}': a local snapshot of the lmdb backend cannot be restored into the ${this.maps.kind} backend`);
        for (const name of s.view.states) if (!this.tables.has(name)) this.pendingTable(name);
        this.maps.restoreView(s.view.id, s.view.states);
      }
      if (s.maxParallelism !== this.maxParallelism) throw new InvalidJobError(`operator '${this.operator}': state was written with maxParallelism ${s.maxParallelism} but the job now has ${this.maxParallelism}; key groups cannot be remapped`);
      for (const [g, part] of s.groups) {
        if (g < this.range.start || g > this.range.end) continue;
        for (const [name, keys, values] of part.columns ?? []) {
          const target = (this.tables.get(name)?.table ?? this.pendingTable(name)) as StateMap<unknown, unknown>;
          for (let i = 0; i < keys.length; i++) target.set(keys[i], values[i]);
          target.endBatch();
        }
        for (const [name, entries] of part.states ?? []) {
          const target = (this.tables.get(name)?.table ?? this.pendingTable(name)) as StateMap<unknown, unknown>;
          for (const [k, v] of entries) target.set(k, v);
          target.endBatch();
        }
        eventTimers.push(...(part.eventTimers as Array<[K, number]>));
        processingTimers.push(...(part.processingTimers as Array<[K, number]>));
      }
    }
    this.eventTimers.reset(eventTimers);
    this.processingTimers.reset(processingTimers);
  }
}
