/**
 * How an actor's output is spread over the subtasks of the next operator.
 * - `forward`: one-to-one (same parallelism, or a single receiver).
 * - `hash`: by key group of `key(record)`, so every record of a key reaches the same subtask.
 * - `rebalance`: whole batches round-robin.
 * - `broadcast`: every subtask gets every record.
 */
export type Partitioning =
  | { kind: 'forward' }
  | { kind: 'hash'; key: (value: any) => unknown; maxParallelism: number }
  | { kind: 'rebalance' }
  | { kind: 'broadcast' };
