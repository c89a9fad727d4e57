import type { KV } from '@nats-io/kv';

/** Key of the lease in the lease bucket. */
const LEASE_KEY = 'coordinator';

/** Options of {@link holdCoordinatorLease}. */
export interface LeaseOptions {
  /** Try to take or renew the lease this often; well below the bucket's TTL. */
  renewMs: number;
  /** The bucket's TTL: a lease not renewed for this long expires and another node may take it. */
  expireMs: number;
  /** This node became the coordinator. */
  onAcquired(): void;
  /** This node is no longer the coordinator (another took over, or it could not renew in time). */
  onLost(reason: string): void;
}

/** A node's handle on the coordinator lease. */
export interface CoordinatorLease {
  /** True while this node holds the lease. */
  isHolder(): boolean;
  /** Resolves once the first attempt to take the lease has been answered (taken or refused). */
  readonly firstAttempt: Promise<void>;
  /** Stops renewing (and, when held, releases the lease so another node takes over at once). */
  stop(): Promise<void>;
}

/**
 * Competes for the cluster's single coordinator lease in a KV bucket whose TTL is `expireMs`.
 * Taking it is `create` (succeeds only when no one holds it: the key is absent, deleted, or
 * expired because its holder stopped renewing); renewing is `update` with the revision last
 * written, a compare-and-set, so two nodes can never both renew the same lease. A holder that
 * cannot renew (disconnected) steps down before the TTL ends, so at most one node acts as
 * coordinator at a time as long as clocks run at the same rate.
 * @example
 * ```ts
 * const lease = holdCoordinatorLease(state.lease, 'node-a', { renewMs: 500, expireMs: 3000, onAcquired: () => {}, onLost: () => {} })
 * ```
 */
export function holdCoordinatorLease(kv: KV, node: string, options: LeaseOptions): CoordinatorLease {
  let revision = 0;
  let renewedAt = 0;
  let holder = false;
  let stopped = false;
  let busy = false;
  const value = () => JSON.stringify({ node, at: Date.now() });

  const lose = (reason: string) => {
    if (!holder) return;
    holder = false;
    revision = 0;
    options.onLost(reason);
  };

  const tick = async () => {
    if (busy || stopped) return;
    busy = true;
    try {
      if (holder) {
        try {
          revision = await kv.update(LEASE_KEY, value(), revision);
          renewedAt = Date.now();
        } catch (error) {
          // A CAS failure means someone else holds it now; a timeout means we cannot tell, so we
          // give up before our lease could have expired for the others.
          const msg = (error as Error).message ?? '';
          if (/wrong last sequence|revision/i.test(msg) || Date.now() - renewedAt > options.expireMs / 2) lose(`lease not renewed: ${msg}`);
        }
      } else {
        try {
          revision = await kv.create(LEASE_KEY, value());
          renewedAt = Date.now();
          holder = true;
          options.onAcquired();
        } catch {
          // Held by another node (or unreachable): try again next tick.
        }
      }
    } finally {
      busy = false;
    }
  };

  const timer = setInterval(() => void tick(), options.renewMs);
  const firstAttempt = tick();
  return {
    isHolder: () => holder,
    firstAttempt,
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      if (holder) {
        holder = false;
        try {
          await kv.delete(LEASE_KEY, { previousSeq: revision });
        } catch {
          // Taken over or unreachable: it expires by itself.
        }
      }
    },
  };
}

/** The node holding the coordinator lease now, if any. */
export async function leaseHolder(kv: KV): Promise<string | undefined> {
  const e = await kv.get(LEASE_KEY);
  if (!e || e.operation !== 'PUT' || e.length === 0) return undefined;
  return e.json<{ node: string }>().node;
}
