import { hostname } from 'node:os';
import type { KV } from '@nats-io/kv';
import type { NodeRecord } from './cluster-state.ts';
import { listJson } from './cluster-state.ts';
import { WeirError } from '../errors.ts';

/** A node's registration: refreshed until `stop()`. */
export interface NodeRegistration {
  readonly record: NodeRecord;
  stop(): Promise<void>;
}

/**
 * Registers a node in the nodes bucket and refreshes its entry every `heartbeatMs`. The bucket
 * has a TTL, so a node that dies (SIGKILL, lost network) vanishes from the registry by itself
 * once its last heartbeat is older than the TTL; no one has to notice and delete it. A second
 * live node with the same name is refused.
 * @example
 * ```ts
 * const reg = await registerNode(state.nodes, { name: 'a', slots: 4 }, 500)
 * ```
 */
export async function registerNode(kv: KV, node: { name: string; slots: number }, heartbeatMs: number): Promise<NodeRegistration> {
  const record: NodeRecord = { name: node.name, slots: node.slots, pid: process.pid, host: hostname(), startedAt: Date.now(), heartbeatAt: Date.now() };
  let revision: number;
  try {
    revision = await kv.create(node.name, JSON.stringify(record));
  } catch {
    const other = (await kv.get(node.name))?.json<NodeRecord>();
    throw new WeirError('WEIR_NODE_NAME_TAKEN', `a node named '${node.name}' is already registered${other ? ` (pid ${other.pid} on ${other.host})` : ''}: pick another --name, or wait until the old one's registration expires`);
  }
  let stopped = false;
  const beat = setInterval(() => {
    record.heartbeatAt = Date.now();
    // put, not update: after a server restart without the entry, the node registers again.
    kv.put(node.name, JSON.stringify(record)).then(
      (r) => (revision = r),
      () => {},
    );
  }, heartbeatMs);
  return {
    record,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      clearInterval(beat);
      try {
        await kv.delete(node.name, { previousSeq: revision });
      } catch {
        // Already gone or unreachable: the TTL removes it.
      }
    },
  };
}

/** The nodes registered now (those whose heartbeat the TTL has not expired), by name. */
export async function liveNodes(kv: KV): Promise<NodeRecord[]> {
  const nodes = await listJson<NodeRecord>(kv, '>');
  return nodes.sort((a, b) => a.name.localeCompare(b.name));
}
