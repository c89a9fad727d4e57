import type { KeySlots } from './key-slots.ts';

/** A slice in a snapshot, columnar: its start, its keys and their accumulators (no pair array per key to build and pack). */
export type SliceColumns<K, ACC> = [number, K[], ACC[]];
/**
 * A slice kept by reference in a local snapshot: its start, its accumulators by slot and its
 * slots, as arrays the slice itself stops writing (see {@link Slice.shared}); slot → key comes
 * with the snapshot.
 */
export type SharedSlice<ACC> = [number, Array<ACC | undefined>, number[]];
/** A slice's two arrays (accumulators by slot, slots held), handed back for reuse once no snapshot holds them. */
export type SliceArrays<ACC> = [Array<ACC | undefined>, number[]];
/** What restores read: the columnar layout, or the `[start, [[key, acc], …]]` pairs earlier snapshots wrote. */
export type StoredSlice<K, ACC> = SliceColumns<K, ACC> | [number, Array<[K, ACC]>];

/**
 * One slice of gcd(size, slide) of event time: an accumulator per key, in an array indexed by the
 * key's slot (see {@link KeySlots}), plus the list of slots it holds in the order their keys came.
 * The record path writes `accs` directly (SlicedWindows.add); everything else goes through here.
 */
export class Slice<K, ACC> {
  /** Slot → accumulator; undefined where this slice does not hold the key. */
  accs: Array<ACC | undefined> = [];
  /** Slots held, in the order their keys came (a tumbling firing emits in this order, as the Map per slice did). */
  slots: number[] = [];
  /** The columns the last snapshot took, reused while the slice has not changed since. */
  columns: SliceColumns<K, ACC> | undefined;
  /**
   * A local snapshot kept by reference holds `accs` and `slots`: they are copied before any
   * change (copy on write), except that `grow` may append empty entries, which change nothing.
   */
  shared = false;

  constructor(public start: number) {}

  /** Keys held. */
  get size(): number {
    return this.slots.length;
  }

  /** Makes `accs` long enough for every slot handed out so far (pushes: a write past the end would make it sparse). */
  grow(capacity: number): void {
    const accs = this.accs;
    while (accs.length < capacity) accs.push(undefined);
  }

  /**
   * Gives the slice its own arrays if a snapshot holds the current ones: copies into `into` (free
   * arrays) when given, else new ones. Returns the arrays the snapshot keeps.
   */
  unshare(into?: SliceArrays<ACC>): SliceArrays<ACC> | undefined {
    if (!this.shared) return undefined;
    const held: SliceArrays<ACC> = [this.accs, this.slots];
    if (into === undefined) {
      this.accs = this.accs.slice();
      this.slots = this.slots.slice();
    } else {
      this.accs = copyInto(into[0], this.accs);
      this.slots = copyInto(into[1], this.slots);
    }
    this.shared = false;
    return held;
  }

  /** Takes free arrays (a dropped slice's, no snapshot holds them any more) in place of its empty ones. */
  adopt([accs, slots]: SliceArrays<ACC>): void {
    accs.fill(undefined);
    slots.length = 0;
    this.accs = accs;
    this.slots = slots;
    this.shared = false;
  }

  /** This slice as a snapshot kept by reference holds it; the slice copies its arrays before it next changes them. */
  share(): SharedSlice<ACC> {
    this.shared = true;
    return [this.start, this.accs, this.slots];
  }

  /** Sets a key's accumulator (restores). */
  put(slot: number, acc: ACC, keys: KeySlots<K>): void {
    this.unshare();
    if (slot >= this.accs.length) this.grow(keys.capacity);
    if (this.accs[slot] === undefined) {
      this.slots.push(slot);
      keys.hold(slot);
    }
    this.accs[slot] = acc;
    this.columns = undefined;
  }

  /**
   * Drops every accumulator and releases its slots. The arrays stay allocated for reuse, unless a
   * snapshot holds them: then the slice starts empty ones and returns those the snapshot keeps.
   */
  clear(keys: KeySlots<K>): SliceArrays<ACC> | undefined {
    const { accs, slots } = this;
    for (let i = 0; i < slots.length; i++) keys.release(slots[i]!);
    this.columns = undefined;
    if (this.shared) {
      this.accs = [];
      this.slots = [];
      this.shared = false;
      return [accs, slots];
    } else {
      for (let i = 0; i < slots.length; i++) accs[slots[i]!] = undefined;
      slots.length = 0;
    }
    return undefined;
  }

  /** Moves every entry from the slots of `from` to those of `to` (a fresh index: see KeySlots.sparse); the columns stay valid. */
  rekey(from: KeySlots<K>, to: KeySlots<K>): void {
    const { accs, slots, columns } = this;
    this.accs = [];
    this.slots = [];
    this.shared = false;
    for (let i = 0; i < slots.length; i++) {
      from.release(slots[i]!);
      this.put(to.slotOf(from.keys[slots[i]!]!), accs[slots[i]!]!, to);
    }
    this.columns = columns;
  }

  /** The snapshot layout `[start, keys, accumulators]`, built once per change. */
  toColumns(keys: KeySlots<K>): SliceColumns<K, ACC> {
    if (this.columns !== undefined) return this.columns;
    const { accs, slots } = this;
    const ks = new Array<K>(slots.length);
    const as = new Array<ACC>(slots.length);
    for (let i = 0; i < slots.length; i++) {
      ks[i] = keys.keys[slots[i]!]!;
      as[i] = accs[slots[i]!]!;
    }
    return (this.columns = [this.start, ks, as]);
  }

  /** Adds the entries of a slice a snapshot kept by reference; `keys` is that snapshot's slot → key. */
  loadShared([, accs, slots]: SharedSlice<ACC>, sharedKeys: Array<K | undefined>, keys: KeySlots<K>): void {
    for (let i = 0; i < slots.length; i++) this.put(keys.slotOf(sharedKeys[slots[i]!]!), accs[slots[i]!]!, keys);
  }

  /** Adds a stored slice's entries, keeping only the keys `owns` accepts (rescaling). */
  load(stored: StoredSlice<K, ACC>, keys: KeySlots<K>, owns?: (key: K) => boolean): void {
    if (stored.length === 3) {
      const [, ks, as] = stored;
      for (let i = 0; i < ks.length; i++) if (!owns || owns(ks[i]!)) this.put(keys.slotOf(ks[i]!), as[i]!, keys);
    } else for (const [key, acc] of stored[1]) if (!owns || owns(key)) this.put(keys.slotOf(key), acc, keys);
  }
}

/** Makes `target` a copy of `source` and returns it (shrinking or pushing keeps it packed). */
export function copyInto<V>(target: V[], source: V[]): V[] {
  const n = source.length;
  if (target.length > n) target.length = n;
  let i = 0;
  for (; i < target.length; i++) target[i] = source[i]!;
  for (; i < n; i++) target.push(source[i]!);
  return target;
}
