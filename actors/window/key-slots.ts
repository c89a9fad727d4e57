import { KeyIndex } from '../../src/state/key-index.ts';

/**
 * A dense index of a window operator's keys: each key gets a small integer slot, and every slice
 * keeps its accumulators in an array indexed by slot. A record then costs one index lookup and one
 * array write, and a firing merges slices in plain array loops (no Map lookup per key and slice).
 *
 * Slots are counted per slice that holds them. A key no slice holds stays indexed for a while: it
 * usually comes back in the next slice (a tumbling window's keys all go idle at its purge and
 * return one by one). Keys idle through a whole purge interval are freed once idle keys outnumber
 * held ones; a freed slot is empty in every slice, so reusing it moves nothing.
 */
export class KeySlots<K> {
  private readonly index = new KeyIndex<K>();
  /** Slot → key (undefined once freed). */
  readonly keys: Array<K | undefined> = [];
  /** Slot → how many slices hold it. */
  private readonly holders: number[] = [];
  /** Slot → the sweep epoch in which it last went idle. */
  private readonly idleSince: number[] = [];
  private readonly free: number[] = [];
  /** Slots that some slice holds. */
  private held = 0;
  private epoch = 0;

  /** The key's slot, given one if it has none. */
  slotOf(key: K): number {
    const slot = this.index.get(key);
    return slot < 0 ? this.assign(key) : slot;
  }

  private assign(key: K): number {
    let slot: number;
    if (this.free.length > 0) {
      slot = this.free.pop()!;
      this.keys[slot] = key;
    } else {
      slot = this.keys.length;
      this.keys.push(key);
      this.holders.push(0);
      this.idleSince.push(this.epoch);
    }
    this.index.set(key, slot);
    return slot;
  }

  /** Slots handed out so far (free ones included): the length a slice's accumulator array may need. */
  get capacity(): number {
    return this.keys.length;
  }

  /** Keys indexed now (held or idle). */
  get size(): number {
    return this.index.size;
  }

  /** A slice took an accumulator for this slot. */
  hold(slot: number): void {
    if (this.holders[slot]!++ === 0) this.held++;
  }

  /** A slice dropped its accumulator for this slot. */
  release(slot: number): void {
    if (--this.holders[slot]! === 0) {
      this.held--;
      this.idleSince[slot] = this.epoch;
    }
  }

  /** After a purge: frees the keys idle since before the previous sweep, once idle keys outnumber held ones. */
  sweep(): void {
    const since = this.epoch++;
    const idle = this.index.size - this.held;
    if (idle < 1024 || idle < this.held) return;
    for (let slot = 0; slot < this.keys.length; slot++) {
      if (this.holders[slot] !== 0 || this.idleSince[slot]! >= since || this.keys[slot] === undefined) continue;
      this.index.delete(this.keys[slot]!);
      this.keys[slot] = undefined;
      this.free.push(slot);
    }
  }

  /** Whether most slots are free: a firing scans every slot, so the owner should then move its keys to a fresh index. */
  get sparse(): boolean {
    return this.keys.length > 1024 && this.keys.length > 2 * this.index.size;
  }
}
