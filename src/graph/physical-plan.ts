import type { Transformation } from './transformation.ts';
import type { Partitioning } from '../runtime/partitioner.ts';
import { InvalidJobError } from '../errors.ts';

/** A chain: consecutive transformations fused into one actor per subtask. */
export interface ChainPlan {
  index: number;
  name: string;
  parallelism: number;
  members: Transformation[];
}

/** A connection between two chains. */
export interface EdgePlan {
  from: number;
  to: number;
  partitioning: Partitioning;
  logicalInput: number;
  sideTag?: string;
}

/** The physical plan: chains and the edges between them. */
export interface PhysicalPlan {
  chains: ChainPlan[];
  edges: EdgePlan[];
}

/**
 * Chains transformations the way Flink does: a node joins its input's chain when the edge is
 * forward, parallelism matches, the input feeds nobody else, and neither side opted out.
 * Consecutive stateless steps in a chain later fuse into one generated loop.
 */
export function buildPhysicalPlan(all: Transformation[], defaultParallelism: number): PhysicalPlan {
  const nodes = reachingSinks(all);
  const parallelismOf = (t: Transformation) => t.parallelism ?? (t.kind === 'source' && t.source && 'parallelism' in t.source ? Number(t.source.parallelism) : defaultParallelism);
  const consumers = new Map<Transformation, number>();
  for (const n of nodes) for (const i of n.inputs) consumers.set(i.from, (consumers.get(i.from) ?? 0) + 1);
  const chainOf = new Map<Transformation, ChainPlan>();
  const chains: ChainPlan[] = [];
  const edges: EdgePlan[] = [];
  for (const node of nodes) {
    if (node.kind !== 'source' && node.inputs.length === 0) throw new InvalidJobError(`operator '${node.name}' has no input`);
    const p = parallelismOf(node);
    if (!Number.isInteger(p) || p < 1) throw new InvalidJobError(`operator '${node.name}': parallelism must be a positive integer, got ${p}`);
    const input = node.inputs.length === 1 ? node.inputs[0]! : undefined;
    const upstream = input ? chainOf.get(input.from) : undefined;
    const chainable =
      input !== undefined &&
      upstream !== undefined &&
      input.sideTag === undefined &&
      (input.partitioning.kind === 'forward' || keyedAtParallelismOne(node, input, p, upstream)) &&
      upstream.parallelism === p &&
      consumers.get(input.from) === 1 &&
      node.chaining === 'default' &&
      input.from.chaining !== 'never' &&
      upstream.members[upstream.members.length - 1] === input.from &&
      input.from.kind !== 'sink';
    if (chainable) {
      upstream!.members.push(node);
      upstream!.name += ` -> ${node.name}`;
      chainOf.set(node, upstream!);
      continue;
    }
    const chain: ChainPlan = { index: chains.length, name: node.name, parallelism: p, members: [node] };
    chains.push(chain);
    chainOf.set(node, chain);
    for (const i of node.inputs) {
      const from = chainOf.get(i.from);
      if (!from) throw new InvalidJobError(`operator '${node.name}' reads from '${i.from.name}', which is not part of this job`);
      // Forward needs equal parallelism; otherwise spread evenly (as Flink does).
      const partitioning: Partitioning = i.partitioning.kind === 'forward' && from.parallelism !== p ? { kind: 'rebalance' } : i.partitioning;
      edges.push({ from: from.index, to: chain.index, partitioning, logicalInput: i.logicalInput, sideTag: i.sideTag });
    }
  }
  uniqueNames(chains);
  return { chains, edges };
}

/**
 * A keyed edge between two chains of parallelism 1 moves every record to the one receiver, so it
 * is a forward edge: a record-driven operator (a running reduce or aggregate) joins its
 * producer's chain, and so does a batch-driven one (an event-time window) where a replay cuts the
 * same batches. It then recovers as the producer does (a source rewinds and reads again), so
 * its input is not held a second time for replay, and the hop costs nothing. Not behind a source
 * that cannot read again.
 */
function keyedAtParallelismOne(node: Transformation, input: Transformation['inputs'][number], p: number, upstream: ChainPlan | undefined): boolean {
  const head = upstream?.members[0];
  // A source that cannot read again (core NATS) would lose what the operator had not yet snapshotted.
  const replays = head?.kind !== 'source' || head.source?.replayable !== false;
  // An event-time window fires on the watermarks that come once per batch: a replay must cut the same batches.
  const sameBatches = head?.kind !== 'source' || head.source?.replaysSameBatches === true;
  return input.partitioning.kind === 'hash' && p === 1 && (node.recordDriven === true || (node.batchDriven === true && sameBatches)) && replays;
}

/** Only nodes whose output reaches a sink run (as in Flink); the rest would compute for nobody. */
function reachingSinks(nodes: Transformation[]): Transformation[] {
  const needed = new Set<Transformation>();
  const visit = (n: Transformation) => {
    if (needed.has(n)) return;
    needed.add(n);
    for (const i of n.inputs) visit(i.from);
  };
  for (const n of nodes) if (n.kind === 'sink') visit(n);
  return nodes.filter((n) => needed.has(n));
}

function uniqueNames(chains: ChainPlan[]): void {
  const seen = new Map<string, number>();
  for (const c of chains) {
    const n = seen.get(c.name) ?? 0;
    seen.set(c.name, n + 1);
    if (n > 0) c.name = `${c.name} (${n + 1})`;
  }
}
