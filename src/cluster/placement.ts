/** A live node as the placement sees it: its name and how many task slots it offers. */
export interface NodeSlots {
  name: string;
  slots: number;
}

/** The outcome of {@link placeSlots}: one node per slot, or why the job cannot be placed now. */
export type PlacementResult = { ok: true; slots: string[] } | { ok: false; reason: string };

/**
 * Chooses `parallelism` slots for a job (slot sharing as in Flink: slot i runs subtask i of every
 * operator, so a job needs as many slots as its parallelism). Slots are spread: each pick goes to
 * the node with the most free slots, ties broken by fewest slots of this job already there, then
 * by name, so three nodes with two slots each get one subtask each for parallelism 3. A node
 * never gets more slots than it has free.
 * @example
 * ```ts
 * placeSlots([{ name: 'a', slots: 2 }, { name: 'b', slots: 2 }], new Map(), 3) // { ok: true, slots: ['a', 'b', 'a'] }
 * ```
 */
export function placeSlots(nodes: readonly NodeSlots[], used: ReadonlyMap<string, number>, parallelism: number): PlacementResult {
  if (!Number.isInteger(parallelism) || parallelism < 1) return { ok: false, reason: `parallelism must be a positive integer, got ${parallelism}` };
  const free = new Map<string, number>();
  for (const n of nodes) free.set(n.name, Math.max(0, n.slots - (used.get(n.name) ?? 0)));
  const total = [...free.values()].reduce((a, b) => a + b, 0);
  if (total < parallelism) {
    const live = nodes.map((n) => `${n.name} ${free.get(n.name)}/${n.slots}`).join(', ') || 'none';
    return { ok: false, reason: `needs ${parallelism} free slots, the cluster has ${total} (free/slots per node: ${live}): start more nodes or give them more --slots` };
  }
  const mine = new Map<string, number>();
  const slots: string[] = [];
  const names = nodes.map((n) => n.name).sort();
  for (let i = 0; i < parallelism; i++) {
    let best: string | undefined;
    for (const name of names) {
      if (free.get(name)! <= 0) continue;
      if (best === undefined || better(name, best, free, mine)) best = name;
    }
    slots.push(best!);
    free.set(best!, free.get(best!)! - 1);
    mine.set(best!, (mine.get(best!) ?? 0) + 1);
  }
  return { ok: true, slots };
}

function better(a: string, b: string, free: Map<string, number>, mine: Map<string, number>): boolean {
  const fa = free.get(a)!;
  const fb = free.get(b)!;
  if (fa !== fb) return fa > fb;
  return (mine.get(a) ?? 0) < (mine.get(b) ?? 0);
}

/** Slots in use per node by the given slot lists (the running jobs' placements). */
export function usedSlots(placements: Iterable<readonly string[]>): Map<string, number> {
  const used = new Map<string, number>();
  for (const p of placements) for (const n of p) used.set(n, (used.get(n) ?? 0) + 1);
  return used;
}

/** The outcome of {@link replaceLost}: the job's new slots, or why it cannot go on. */
export type ReplacementResult = { ok: true; slots: string[]; overcommitted: string[] } | { ok: false; reason: string };

/**
 * Moves the slots of a job that were on lost nodes to its surviving nodes, after a node loss (the
 * job rolls back and runs on; slot i still runs subtask i, so surviving slots keep their index and
 * node). Each lost slot goes to the survivor with the most free slots — its slots, less the other
 * jobs' slots there (`used`), less this job's — ties broken by fewest slots of this job, then by
 * name. Only nodes already running the job are candidates: a node joins a job when it is placed,
 * never during a restart.
 *
 * When the survivors have fewer free slots than were lost, the rest still go to them, each to the
 * least overcommitted one, and are listed in `overcommitted` for a warning: the job goes on slower
 * rather than failing, since a Weir slot is a share of a node's work, not memory set aside, and the
 * whole job would otherwise restart from scratch when a checkpoint could carry it on. Flink waits
 * for slots and fails the job after a timeout instead. A survivor missing from `nodes` (its slot
 * count unknown) counts as having exactly this job's slots, none free. No survivor: `ok: false`.
 * @example
 * ```ts
 * replaceLost(['a', 'b', 'c'], ['b'], [{ name: 'a', slots: 2 }, { name: 'c', slots: 4 }], new Map([['c', 1]])) // { ok: true, slots: ['a', 'c', 'c'], overcommitted: [] }
 * ```
 */
export function replaceLost(slots: readonly string[], lost: readonly string[], nodes: readonly NodeSlots[], used: ReadonlyMap<string, number>): ReplacementResult {
  const gone = new Set(lost);
  const survivors = [...new Set(slots.filter((n) => !gone.has(n)))].sort();
  if (survivors.length === 0) return { ok: false, reason: `every node of the job is lost (${[...new Set(slots)].join(', ')})` };
  const capacity = new Map(nodes.map((n) => [n.name, n.slots]));
  const mine = new Map<string, number>();
  for (const n of slots) if (!gone.has(n)) mine.set(n, (mine.get(n) ?? 0) + 1);
  const free = new Map<string, number>();
  for (const n of survivors) free.set(n, (capacity.get(n) ?? mine.get(n)!) - (used.get(n) ?? 0) - mine.get(n)!);
  const overcommitted: string[] = [];
  const next = slots.map((n) => {
    if (!gone.has(n)) return n;
    let best = survivors[0]!;
    for (const name of survivors) if (better(name, best, free, mine)) best = name;
    if (free.get(best)! <= 0) overcommitted.push(best);
    free.set(best, free.get(best)! - 1);
    mine.set(best, mine.get(best)! + 1);
    return best;
  });
  return { ok: true, slots: next, overcommitted };
}
