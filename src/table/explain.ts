import type { Transformation } from '../graph/transformation.ts';
import { buildPhysicalPlan } from '../graph/physical-plan.ts';
import type { Relation } from './relation.ts';
import { describeColumns } from './schema.ts';

/** The nodes `last` reads from, transitively, in creation order (what would run for it). */
function ancestors(all: Transformation[], last: Transformation): Transformation[] {
  const needed = new Set<Transformation>();
  const visit = (n: Transformation) => {
    if (needed.has(n)) return;
    needed.add(n);
    for (const i of n.inputs) visit(i.from);
  };
  visit(last);
  return all.filter((n) => needed.has(n));
}

/**
 * EXPLAIN: the physical plan the planner's DataStream operators become — chains (operators fused
 * into one actor), the exchanges between them (forward, hash by key, rebalance) and windows —
 * exactly as `buildPhysicalPlan` makes it for the job.
 * @example
 * ```text
 * == Physical plan ==
 * [0] bids -> timestamps -> sql-1:where  (parallelism 1)
 *   --hash--> [1]
 * [1] sql-1:HOP(size=10000ms, slide=2000ms, shared slices)  (parallelism 1)
 * ```
 */
export function explainPlan(all: Transformation[], rel: Relation, sink: Transformation | undefined, parallelism: number): string {
  const tail = sink ?? ({ id: -1, name: 'result', kind: 'sink', inputs: [{ from: rel.stream.node, partitioning: { kind: 'forward' }, logicalInput: 0 }], chaining: 'default' } as Transformation);
  const nodes = [...ancestors(all, rel.stream.node), tail];
  const plan = buildPhysicalPlan(nodes, parallelism);
  const lines = ['== Result schema ==', `${rel.changelog ? 'changelog (+I/-U/+U/-D)' : 'append-only'}: ${describeColumns(rel.columns)}${rel.upsertKey ? `; upsert key (${rel.upsertKey.join(', ')})` : ''}`, '', '== Physical plan =='];
  for (const chain of plan.chains) {
    const inputs = plan.edges.filter((e) => e.to === chain.index);
    for (const e of inputs) lines.push(`  [${e.from}] --${e.partitioning.kind === 'hash' ? 'hash(key)' : e.partitioning.kind}${e.logicalInput ? ` (input ${e.logicalInput + 1})` : ''}--> [${chain.index}]`);
    lines.push(`[${chain.index}] ${chain.members.map((m) => m.name).join(' -> ')}  (parallelism ${chain.parallelism}${chain.members.length > 1 ? ', one chained actor' : ''})`);
  }
  return lines.join('\n');
}
