import type { PhysicalPlan, ChainPlan } from '../graph/physical-plan.ts';
import type { Transformation } from '../graph/transformation.ts';
import type { SnapshotStore } from './stores/snapshot-store.ts';
import type { CheckpointMetadata } from './coordinator.ts';
import { actorCheckpointName, chainCheckpointName } from './checkpoint-keys.ts';
import { decodeSnapshot } from '../state/snapshot-codec.ts';
import { resolveParts } from './checkpoint-parts.ts';
import { InvalidJobError } from '../errors.ts';

/**
 * The stable id of every operator of a plan, which restores match state by (Flink's operator
 * uid): the `uid()` a user gave, else the operator's name, numbered when several share it
 * (`map`, `map#2`, in the order the job defines them). Give stateful operators a `uid()` when the
 * job will change: then renaming or re-chaining them keeps their state.
 */
export function operatorIds(plan: PhysicalPlan): Map<Transformation, string> {
  const ids = new Map<Transformation, string>();
  const taken = new Set<string>();
  const members = plan.chains.flatMap((c) => c.members).sort((a, b) => a.id - b.id);
  for (const t of members) {
    if (t.uid === undefined) continue;
    if (taken.has(t.uid)) throw new InvalidJobError(`uid '${t.uid}' is given to two operators; each operator needs its own uid`);
    taken.add(t.uid);
    ids.set(t, t.uid);
  }
  for (const t of members) {
    if (t.uid !== undefined) continue;
    let id = t.name;
    for (let n = 2; taken.has(id); n++) id = `${t.name}#${n}`;
    taken.add(id);
    ids.set(t, id);
  }
  return ids;
}

/** What a snapshot says about its chain's layout: the operator uids, aligned with `operators`, and the source's. */
export interface SnapshotLayout {
  uids?: string[];
  sourceUid?: string;
}

/** One new subtask's state, gathered by operator uid from the old subtasks that held it. */
export interface AssignedState {
  /** Per operator of the new chain: the states of every old subtask of the operator with its uid (empty: starts empty). */
  operators: unknown[][];
  /** Per operator: how many subtasks the old operator had. */
  oldParallelism: number[];
  /** The source's position, from the same subtask of the old source (sources keep their parallelism). */
  source?: unknown;
  hasSource: boolean;
}

/** How each new subtask restores: exactly (same layout everywhere) or from states assigned by uid. */
export type RestoreAssignment = { kind: 'exact' } | { kind: 'legacy' } | { kind: 'byUid'; states: Map<string, AssignedState> };

interface OldChain {
  base: string;
  parallelism: number;
  keys: string[];
  uids: string[];
  sourceUid?: string;
  payloads?: Array<{ operators: unknown[]; source: unknown }>;
}

/**
 * Decides how a job restores `meta`. When every chain finds its old self (same name, same
 * parallelism) the actors restore exactly, channel positions included. Any
 * other change (parallelism, chaining, operators added or removed) restores every operator from
 * the old operator with its uid, in every chain, with channel positions starting afresh (a mix
 * of kept and fresh positions would drop records). State no operator claims fails the restore
 * unless `allowNonRestoredState`. Snapshots written before uids were recorded fall back to
 * matching chains by name (`legacy`).
 */
export async function assignState(meta: CheckpointMetadata, store: SnapshotStore, plan: PhysicalPlan, layouts: Map<ChainPlan, { uids: string[]; sourceUid?: string }>, allowNonRestoredState = false): Promise<RestoreAssignment> {
  const old = oldChains(meta);
  // Same chains at the same parallelism (the usual restart after a failure): restore exactly without reading anything.
  // (Chain names are made of operator names, so the same names mean the same operators.)
  if (old.size === plan.chains.length && plan.chains.every((c) => old.get(chainCheckpointName(c.name))?.parallelism === c.parallelism)) return { kind: 'exact' };
  const read = async (key: string) => resolveParts(decodeSnapshot((await store.get(key)) ?? missing(key, meta), { job: meta.job, key }).payload as { operators: unknown[]; source: unknown } & SnapshotLayout, store, { job: meta.job });
  for (const c of old.values()) {
    const first = await read(c.keys[0]!);
    if (first.uids === undefined) return { kind: 'legacy' };
    c.uids = first.uids;
    c.sourceUid = first.sourceUid;
  }
  const holder = new Map<string, OldChain>();
  for (const c of old.values()) for (const u of [...c.uids, ...(c.sourceUid ? [c.sourceUid] : [])]) holder.set(u, c);
  const load = async (c: OldChain) => (c.payloads ??= await Promise.all(c.keys.map(read)));
  const claimed = new Set<string>();
  const states = new Map<string, AssignedState>();
  for (const chain of plan.chains) {
    const layout = layouts.get(chain)!;
    const perOperator: unknown[][] = [];
    const oldParallelism: number[] = [];
    for (const uid of layout.uids) {
      const c = holder.get(uid);
      claimed.add(uid);
      if (!c) {
        perOperator.push([]);
        oldParallelism.push(0);
        continue;
      }
      const at = c.uids.indexOf(uid);
      perOperator.push((await load(c)).map((p) => p.operators[at]));
      oldParallelism.push(c.parallelism);
    }
    let sources: unknown[] | undefined;
    if (layout.sourceUid !== undefined) {
      claimed.add(layout.sourceUid);
      const c = holder.get(layout.sourceUid);
      if (c && c.parallelism !== chain.parallelism) throw new InvalidJobError(`source '${layout.sourceUid}' ran at parallelism ${c.parallelism} in checkpoint ${meta.id} and cannot change it on restore; keep its parallelism with setParallelism(${c.parallelism})`);
      if (c) sources = (await load(c)).map((p) => p.source);
    }
    for (let s = 0; s < chain.parallelism; s++) {
      states.set(actorCheckpointName(chain.name, s), { operators: perOperator, oldParallelism, source: sources?.[s], hasSource: sources !== undefined });
    }
  }
  if (!allowNonRestoredState) {
    for (const c of old.values()) {
      for (let i = 0; i < c.uids.length; i++) {
        if (claimed.has(c.uids[i]!)) continue;
        const held = (await load(c)).some((p) => p.operators[i] !== null && p.operators[i] !== undefined);
        if (held) throw new InvalidJobError(`checkpoint ${meta.id} holds state of operator '${c.uids[i]}', which this job no longer has: give the operator that should take it the same uid(), or restore with allowNonRestoredState to drop it`);
      }
    }
  }
  return { kind: 'byUid', states };
}

function oldChains(meta: CheckpointMetadata): Map<string, OldChain> {
  const chains = new Map<string, OldChain>();
  for (const name of Object.keys(meta.actors)) {
    const m = /^(.*)-(\d+)$/.exec(name);
    if (!m) continue;
    const c = chains.get(m[1]!) ?? { base: m[1]!, parallelism: 0, keys: [], uids: [] };
    c.parallelism++;
    chains.set(m[1]!, c);
  }
  for (const c of chains.values()) for (let s = 0; s < c.parallelism; s++) c.keys.push(meta.actors[`${c.base}-${s}`] ?? missing(`${c.base}-${s}`, meta));
  return chains;
}

function missing(what: string, meta: CheckpointMetadata): never {
  throw new InvalidJobError(`checkpoint ${meta.id} of job '${meta.job}' lacks '${what}'`);
}
