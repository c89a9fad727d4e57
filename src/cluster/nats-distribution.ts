import type { NatsConnection } from '@nats-io/transport-node';
import type { Distribution } from '../runtime/job.ts';
import type { PhysicalPlan } from '../graph/physical-plan.ts';
import { NatsInputChannel, NatsOutputChannel, channelSubject } from '../transport/nats-channel.ts';
import { InvalidJobError } from '../errors.ts';

/** Options of {@link natsDistribution}. */
export interface NatsDistributionOptions {
  nc: NatsConnection;
  /** This process's node name; one of `nodes`. */
  node: string;
  /** Every node running the job, in the same order on each of them. */
  nodes: string[];
  /** Subject prefix (default `weir`); tenants separated by NATS permissions use their own. */
  subjectPrefix?: string;
}

/**
 * Runs a job across processes connected by NATS: subtasks are spread over `nodes` round-robin in
 * plan order (every node computes the same placement from the same job), and an edge between
 * subtasks on different nodes becomes a credit-based NATS channel on
 * `<prefix>.<job>.<edge>.<from>.<to>`. Each node runs the same job file.
 * @example
 * ```ts
 * StreamEnvironment.create({ distribution: natsDistribution({ nc, node: 'a', nodes: ['a', 'b'] }) })
 * ```
 */
export function natsDistribution(options: NatsDistributionOptions): Distribution & { placement(): Array<[string, number, string]> } {
  const { nc, node, nodes } = options;
  if (!nodes.includes(node)) throw new InvalidJobError(`node '${node}' is not one of the job's nodes (${nodes.join(', ')})`);
  const prefix = options.subjectPrefix ?? 'weir';
  let job = '';
  let plan: PhysicalPlan | undefined;
  const owner = new Map<string, string>();
  return {
    bind(p, name) {
      plan = p;
      job = name.replace(/[^A-Za-z0-9_-]/g, '_');
      let slot = 0;
      for (const chain of p.chains) for (let s = 0; s < chain.parallelism; s++) owner.set(`${chain.index}/${s}`, nodes[slot++ % nodes.length]!);
    },
    isLocal: (chain, subtask) => owner.get(`${chain}/${subtask}`) === node,
    output: (id, edge, from, to) => new NatsOutputChannel(nc, id, channelSubject(prefix, job, edge, from, to)),
    input: (id, edge, from, to, capacity, deadLetter, fail) =>
      new NatsInputChannel(nc, id, channelSubject(prefix, job, edge, from, to), capacity, { badFrame: (error, raw, subject) => deadLetter(error, raw, subject), gap: (error) => fail(error) }),
    placement: () => (plan ? plan.chains.flatMap((c) => Array.from({ length: c.parallelism }, (_, s) => [c.name, s, owner.get(`${c.index}/${s}`)!] as [string, number, string])) : []),
  };
}
