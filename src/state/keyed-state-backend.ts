import type { Clock } from '../time/clock.ts';
import type { StateDescriptor } from './state-descriptor.ts';
import { AggregatingTable, ListTable, MapTable, ReducingTable, SingleValueTable, type KeyContext, type KeyedStateTable } from './keyed-state.ts';
import { KeyedTimers } from './timer-service.ts';
import { keyGroupOf, keyGroupRangeForOperator } from './key-groups.ts';
import { InvalidJobError } from '../errors.ts';
import { heapStateMaps, type StateMap, type StateMapFactory } from './backends/state-map.ts';

/** A key group's share of a snapshot: every state's entries and every timer of its keys. */
interface KeyGroupSnapshot {
  states: Array<[string, Array<[unknown, unknown]>]>;
  eventTimers: Array<[unknown, number]>;
  processingTimers: Array<[unknown, number]>;
}

/** Changed keys since the last local snapshot: full state of `full` keys, appended list elements of the others. */
export interface KeyedDelta<K> {
  full: Array<[K, Array<[string, unknown]>, number[], number[]]>;
  appends: Array<[K, Array<[string, unknown[]]>]>;
}

/** Keyed state of one operator instance, written per key group so it can be rescaled. */
export interface KeyedBackendSnapshot {
  maxParallelism: number;
  groups: Array<[number, KeyGroupSnapshot]>;
}

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
  /** Keys whose state or timers changed since the last local snapshot. */
  private dirty = new Set<K>();
  /** List elements appended since the last local snapshot, per key (not dirty) and state. */
  private appended = new Map<K, Map<string, unknown[]>>();
  private range: { start: number; end: number };

  constructor(
    private readonly operator: string,
    private readonly clock: Clock,
    readonly maxParallelism: number,
    parallelism: number,
    subtask: number,
    private readonly maps: StateMapFactory = heapStateMaps,
  ) {
    this.range = keyGroupRangeForOperator(maxParallelism, parallelism, subtask);
  }

  now(): number {
    return this.clock.now();
  }

  markDirty(): void {
    this.dirty.add(this.currentKey);
  }

  markAppended(state: string, stored: unknown): void {
    const k = this.currentKey;
    if (this.dirty.has(k)) return;
    let perState = this.appended.get(k);
    if (!perState) this.appended.set(k, (perState = new Map()));
    const items = perState.get(state);
    if (items) items.push(stored);
    else perState.set(state, [stored]);
  }

  /** Every state and the timers of each key changed since the last call (or {@link KeyedStateBackend.clearDelta}). */
  delta(): KeyedDelta<K> {
    const full: KeyedDelta<K>['full'] = [];
    for (const k of this.dirty) {
      const states: Array<[string, unknown]> = [];
      for (const [name, t] of this.tables) states.push([name, t.table.get(k)]);
      full.push([k, states, this.eventTimers.timesOf(k), this.processingTimers.timesOf(k)]);
    }
    const appends: KeyedDelta<K>['appends'] = [];
    // A key that became dirty after its appends is in `full` already, with the whole list.
    for (const [k, perState] of this.appended) if (!this.dirty.has(k)) appends.push([k, [...perState]]);
    this.clearDelta();
    return { full, appends };
  }

  clearDelta(): void {
    this.dirty.clear();
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
    for (const [k, states, eventTimes, processingTimes] of delta.full) {
      for (const [name, v] of states) {
        const target = this.tables.get(name)?.table ?? this.pendingTable(name);
        if (v === undefined) target.delete(k);
        else target.set(k, v);
      }
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
    const groups = new Map<number, KeyGroupSnapshot>();
    const group = (key: unknown): KeyGroupSnapshot => {
      const g = keyGroupOf(key, this.maxParallelism);
      let s = groups.get(g);
      if (!s) groups.set(g, (s = { states: [], eventTimers: [], processingTimers: [] }));
      return s;
    };
    for (const [name, entries] of this.pending) for (const entry of entries) group(entry[0]).states.push([name, [entry]]);
    for (const [name, table] of this.tables) {
      table.purgeExpired(now);
      const perGroup = new Map<KeyGroupSnapshot, Array<[unknown, unknown]>>();
      for (const entry of table.table) {
        const g = group(entry[0]);
        let list = perGroup.get(g);
        if (!list) {
          perGroup.set(g, (list = []));
          g.states.push([name, list]);
        }
        list.push(entry);
      }
    }
    for (const [k, t] of this.eventTimers.entries()) group(k).eventTimers.push([k, t]);
    for (const [k, t] of this.processingTimers.entries()) group(k).processingTimers.push([k, t]);
    return { maxParallelism: this.maxParallelism, groups: [...groups] };
  }

  /** Restores from the snapshots of every old subtask, keeping the key groups this instance owns. */
  restore(snapshots: Array<KeyedBackendSnapshot | null | undefined>): void {
    for (const t of this.tables.values()) t.table.clear();
    for (const m of this.pending.values()) m.clear();
    this.pending = new Map();
    this.clearDelta();
    const eventTimers: Array<[K, number]> = [];
    const processingTimers: Array<[K, number]> = [];
    for (const s of snapshots) {
      if (!s) continue;
      if (s.maxParallelism !== this.maxParallelism) throw new InvalidJobError(`operator '${this.operator}': state was written with maxParallelism ${s.maxParallelism} but the job now has ${this.maxParallelism}; key groups cannot be remapped`);
      for (const [g, part] of s.groups) {
        if (g < this.range.start || g > this.range.end) continue;
        for (const [name, entries] of part.states) {
          const table = this.tables.get(name);
          const target = table?.table ?? this.pendingTable(name);
          for (const [k, v] of entries) target.set(k as K, v);
        }
        eventTimers.push(...(part.eventTimers as Array<[K, number]>));
        processingTimers.push(...(part.processingTimers as Array<[K, number]>));
      }
    }
    this.eventTimers.reset(eventTimers);
    this.processingTimers.reset(processingTimers);
  }
}
