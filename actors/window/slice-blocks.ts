/** A slice's accumulators by key slot (undefined where the slice does not hold the key). */
export type SliceColumn<ACC> = Array<ACC | undefined>;

/** Windows longer than this many slices merge their slices directly: the suffix columns would take more memory than they save time. */
export const MAX_BLOCK_SLICES = 32;

/**
 * Merges of consecutive slices that sliding firings share, so a window of B slices costs about
 * two column merges instead of B − 1 (the "two stacks" of sliding-window aggregation).
 *
 * Slices are numbered and grouped into blocks of B. A window whose last slice j ends a block is
 * that whole block: its firing computes the block's suffix merges (slices k..end of the block, for
 * every k) on the way. Any other window is a suffix of the previous block merged with a prefix of
 * the current one, which grows by one slice per firing.
 *
 * Only for primitive accumulators (merged by value, never in place) and windows that slide by one
 * slice. The cached merges are derived data: the owner calls {@link invalidate} whenever a slice
 * they include may have changed (a late record, a restore, re-keying), and the next firings merge
 * from the slices again until a block ends.
 */
export class SliceBlocks<ACC> {
  /** Suffix merges of the last complete block: suffixes[k] merges its slices k..B−1 (k ≥ 1; suffixes[0] is unused). */
  private readonly suffixes: Array<SliceColumn<ACC>> = [];
  private suffixBlock = NaN;
  /** The merge of the current block's slices up to prefixUpTo. */
  private prefix: SliceColumn<ACC> = [];
  private prefixBlock = NaN;
  private prefixUpTo = NaN;
  /** A firing's merge of the previous block's slices when their suffix merges are not cached (rewritten by the next one). */
  private readonly merged: SliceColumn<ACC> = [];

  constructor(
    /** B: slices per window. */
    private readonly length: number,
    private readonly merge: (a: ACC, b: ACC) => ACC,
  ) {
    for (let k = 0; k < length; k++) this.suffixes.push([]);
  }

  /** Forgets every cached merge. */
  invalidate(): void {
    this.suffixBlock = NaN;
    this.prefixBlock = NaN;
  }

  /**
   * The merge of slices `first` … `first + B − 1` (`column(q)` is slice q's column, at least n
   * long, or undefined when the slice holds nothing), as two columns whose slot-by-slot merge
   * (first ⊕ second) it is: the caller merges them as it emits, so no third column is written.
   * Firings must come in order of `first` for the cache to help; any order gives the right merge.
   */
  window(first: number, n: number, column: (q: number) => SliceColumn<ACC> | undefined): [SliceColumn<ACC> | undefined, SliceColumn<ACC>] {
    const B = this.length;
    const last = first + B - 1;
    const block = Math.floor(last / B);
    const blockStart = block * B;
    if (last === blockStart + B - 1) return this.completeBlock(block, n, column);
    // The current block's prefix, up to and including `last`.
    const prefix = this.prefix;
    sizeColumn(prefix, n);
    if (this.prefixBlock !== block || this.prefixUpTo !== last - 1) {
      prefix.fill(undefined, 0, n);
      for (let q = blockStart; q < last; q++) this.mergeInto(prefix, column(q), n);
    }
    this.mergeInto(prefix, column(last), n);
    this.prefixBlock = block;
    this.prefixUpTo = last;
    const merged = this.merged;
    sizeColumn(merged, n);
    if (this.suffixBlock === block - 1) {
      const suffix = this.suffixes[first - (blockStart - B)]!;
      sizeColumn(suffix, n);
      return [suffix, prefix];
    }
    merged.fill(undefined, 0, n);
    for (let q = first; q < blockStart; q++) this.mergeInto(merged, column(q), n);
    return [merged, prefix];
  }

  /** A window that is exactly block `block`: computes and keeps the block's suffix merges; returns its first slice and the suffix after it. */
  private completeBlock(block: number, n: number, column: (q: number) => SliceColumn<ACC> | undefined): [SliceColumn<ACC> | undefined, SliceColumn<ACC>] {
    const B = this.length;
    const start = block * B;
    const lastSuffix = this.suffixes[B - 1]!;
    sizeColumn(lastSuffix, n);
    const lastColumn = column(start + B - 1);
    if (lastColumn === undefined) lastSuffix.fill(undefined, 0, n);
    else copyColumn(lastSuffix, lastColumn, n);
    // Slice k merged with the merge of the slices after it: each merge keeps the slices' order.
    for (let k = B - 2; k >= 1; k--) {
      const target = this.suffixes[k]!;
      sizeColumn(target, n);
      this.mergeBefore(target, column(start + k), this.suffixes[k + 1]!, n);
    }
    this.suffixBlock = block;
    this.prefixBlock = NaN;
    return [column(start), this.suffixes[1]!];
  }

  private mergeInto(target: SliceColumn<ACC>, c: SliceColumn<ACC> | undefined, n: number): void {
    mergeColumnInto(target, c, n, this.merge);
  }

  /** target := c ⊕ later, slot by slot (target is neither's array). */
  private mergeBefore(target: SliceColumn<ACC>, c: SliceColumn<ACC> | undefined, later: SliceColumn<ACC>, n: number): void {
    if (c === undefined) {
      copyColumn(target, later, n);
      return;
    }
    const merge = this.merge;
    for (let slot = 0; slot < n; slot++) {
      const a = c[slot];
      const b = later[slot];
      target[slot] = a === undefined ? b : b === undefined ? a : merge(a, b);
    }
  }
}

/** Makes a column at least n long (pushes keep the array packed). */
function sizeColumn<ACC>(c: SliceColumn<ACC>, n: number): void {
  while (c.length < n) c.push(undefined);
}

/** target := source, over the first n slots. */
export function copyColumn<ACC>(target: SliceColumn<ACC>, source: SliceColumn<ACC>, n: number): void {
  for (let slot = 0; slot < n; slot++) target[slot] = source[slot];
}

/** target := target ⊕ c, slot by slot over the first n slots (c undefined: nothing to add). Primitive accumulators only: target's are merged into as they are. */
export function mergeColumnInto<ACC>(target: SliceColumn<ACC>, c: SliceColumn<ACC> | undefined, n: number, merge: (a: ACC, b: ACC) => ACC): void {
  if (c === undefined) return;
  for (let slot = 0; slot < n; slot++) {
    const b = c[slot];
    if (b === undefined) continue;
    const a = target[slot];
    target[slot] = a === undefined ? b : merge(a, b);
  }
}
