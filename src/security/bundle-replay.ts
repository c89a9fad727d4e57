import type { KV } from '@nats-io/kv';
import { BundleRejectedError } from '../errors.ts';
import type { SignedClaims } from './bundle-signing.ts';

/** The newest signed bundle nodes have accepted for a job, kept under `job.<name>` in the `<prefix>_signed` bucket. */
export interface AcceptedBundle {
  /** Its signing time: the job's sequence number. */
  signedAt: number;
  sha256: string;
  bundle: string;
  acceptedAt: number;
}

/** Name of the KV bucket of accepted sequences; only nodes write it (see `weir permissions`). */
export function acceptedBucket(prefix: string): string {
  return `${prefix.replace(/[^A-Za-z0-9_-]/g, '_')}_signed`;
}

/**
 * Refuses a replay: a validly signed bundle that is older than the newest this cluster's nodes
 * accepted for the same job (an attacker with write access to the bundles store and the jobs
 * bucket putting an old signed version back). Otherwise records it as the newest, with a
 * compare-and-set, so two nodes accepting different versions at once cannot both win. The same
 * bundle again (every node running a part of one job checks it) is accepted.
 * @example
 * ```ts
 * await acceptBundleSequence(signedKv, job.bundle, verifyBundle(code, job.bundle, job.name, meta, trust))
 * ```
 */
export async function acceptBundleSequence(kv: KV, bundle: string, claims: SignedClaims): Promise<void> {
  const key = `job.${claims.job}`;
  for (;;) {
    const entry = await kv.get(key);
    const newest = entry && entry.operation === 'PUT' && entry.length > 0 ? entry.json<AcceptedBundle>() : undefined;
    if (newest && claims.signedAt === newest.signedAt && claims.sha256 === newest.sha256) return;
    if (newest && claims.signedAt <= newest.signedAt) {
      throw new BundleRejectedError(bundle, `it is a replay: signed at ${new Date(claims.signedAt).toISOString()}, not newer than bundle '${newest.bundle}' (signed ${new Date(newest.signedAt).toISOString()}) that this cluster already accepted for job '${claims.job}'`);
    }
    const next: AcceptedBundle = { signedAt: claims.signedAt, sha256: claims.sha256, bundle, acceptedAt: Date.now() };
    try {
      if (entry) await kv.update(key, JSON.stringify(next), entry.revision);
      else await kv.create(key, JSON.stringify(next));
      return;
    } catch (error) {
      // Another node wrote first: read again and decide against its entry.
      if (!/wrong last sequence|key exists/i.test((error as Error).message)) throw error;
    }
  }
}
