import { createHash } from 'node:crypto';
import { createUser, fromPublic, fromSeed } from '@nats-io/nkeys';
import { BundleRejectedError, WeirError } from '../errors.ts';

/** Object metadata keys of a signed bundle in the bundles object store. */
export const SIGNER_META = 'weir-signer';
export const SIGNATURE_META = 'weir-signature';
/** The job the bundle was signed for, when it was signed (ms since 1970, its sequence) and until when it may start. */
export const JOB_META = 'weir-job';
export const SIGNED_AT_META = 'weir-signed-at';
export const EXPIRES_AT_META = 'weir-expires-at';

/** How long a signature lets a bundle start, unless `weir submit --valid-for` says otherwise: a week. */
export const DEFAULT_VALIDITY_MS = 7 * 24 * 3600_000;

/** What a verified signature vouches for. */
export interface SignedClaims {
  /** The job name it was signed for. */
  job: string;
  /** When it was signed: the bundle's sequence number for its job (a node refuses one older than the newest it ran). */
  signedAt: number;
  /** After this, no node starts it. */
  expiresAt: number;
  /** SHA-256 of the code, hex. */
  sha256: string;
  /** The signer's public key. */
  signer: string;
}

/** Options of {@link signBundle}. */
export interface SignOptions {
  /** The signing time, which orders a job's bundles (default now). */
  signedAt?: number;
  /** How long the bundle may be started after signing (default {@link DEFAULT_VALIDITY_MS}). */
  validForMs?: number;
  /** Where the seed came from, for the error when it is not one. */
  where?: string;
}

const sha256 = (code: Uint8Array) => createHash('sha256').update(code).digest('hex');

/** What a signature covers: a domain tag, the job name, the signing and expiry times and the SHA-256 of the code. */
function signedText(c: Omit<SignedClaims, 'signer'>): Uint8Array {
  return new TextEncoder().encode(`weir-bundle-v2\n${c.job}\n${c.signedAt}\n${c.expiresAt}\n${c.sha256}`);
}

/** Reads an nkey seed (`SU…`, `SA…`, …) from its text; the error never shows the text. */
function keyPairOf(seed: string, where: string) {
  try {
    return fromSeed(new TextEncoder().encode(seed.trim()));
  } catch {
    throw new WeirError('WEIR_SIGNING_KEY', `${where} does not hold an nkey seed (make one with 'weir keygen <file>')`);
  }
}

/**
 * Signs a job bundle with an ed25519 nkey seed: returns the object metadata to store with it
 * (the signer's public key, the job name, signing and expiry times, and the signature of those
 * with the SHA-256 of the code). A node checks all of it (see {@link verifyBundle}).
 * @example
 * ```ts
 * const meta = signBundle(code, 'counts', readFileSync('signing.nk', 'utf8'), { where: 'signing.nk' })
 * ```
 */
export function signBundle(code: Uint8Array, job: string, seed: string, o: SignOptions = {}): Record<string, string> {
  const pair = keyPairOf(seed, o.where ?? 'the signing key');
  const signedAt = o.signedAt ?? Date.now();
  const claims = { job, signedAt, expiresAt: signedAt + (o.validForMs ?? DEFAULT_VALIDITY_MS), sha256: sha256(code) };
  return {
    [SIGNER_META]: pair.getPublicKey(),
    [JOB_META]: job,
    [SIGNED_AT_META]: String(claims.signedAt),
    [EXPIRES_AT_META]: String(claims.expiresAt),
    [SIGNATURE_META]: Buffer.from(pair.sign(signedText(claims))).toString('base64'),
  };
}

/**
 * Checks that `code`, stored as `bundle` for job `job`, was signed for that job by one of the
 * `trusted` public keys and has not expired; returns what the signature vouches for (its
 * sequence is checked against the job's newest by {@link acceptBundleSequence}). Throws
 * {@link BundleRejectedError} saying why not (unsigned, signer not trusted, changed after
 * signing, signed for another job, expired).
 * @example
 * ```ts
 * verifyBundle(code, info.name, 'counts', info.metadata ?? {}, ['UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4'])
 * ```
 */
export function verifyBundle(code: Uint8Array, bundle: string, job: string, meta: Record<string, string>, trusted: readonly string[], now = Date.now()): SignedClaims {
  const signer = meta[SIGNER_META];
  const signature = meta[SIGNATURE_META];
  if (!signer || !signature) throw new BundleRejectedError(bundle, `it is not signed, and this node runs only bundles signed by a trusted key (--trust); submit it with 'weir submit --sign <seed file>'`);
  if (!trusted.includes(signer)) throw new BundleRejectedError(bundle, `it is signed by ${signer}, which this node does not trust (--trust ${trusted.join(',')})`);
  const claims: SignedClaims = { job: meta[JOB_META] ?? '', signedAt: Number(meta[SIGNED_AT_META]), expiresAt: Number(meta[EXPIRES_AT_META]), sha256: sha256(code), signer };
  let valid = false;
  try {
    valid = Number.isSafeInteger(claims.signedAt) && Number.isSafeInteger(claims.expiresAt) && fromPublic(signer).verify(signedText(claims), new Uint8Array(Buffer.from(signature, 'base64')));
  } catch {
    valid = false;
  }
  if (!valid) throw new BundleRejectedError(bundle, `its signature by ${signer} does not match its contents (changed after signing, or signed by an older weir without job name and time: submit it again)`);
  if (claims.job !== job) throw new BundleRejectedError(bundle, `it was signed for job '${claims.job}', not '${job}'`);
  if (now > claims.expiresAt) throw new BundleRejectedError(bundle, `its signature expired at ${new Date(claims.expiresAt).toISOString()} (signed ${new Date(claims.signedAt).toISOString()}; submit it again, or sign with a longer --valid-for)`);
  return claims;
}

/** Checks public keys given to `--trust`: nkey public keys (`U…`, `A…`, `O…`). */
export function checkTrustedKeys(keys: readonly string[]): string[] {
  for (const k of keys) {
    try {
      fromPublic(k);
    } catch {
      throw new WeirError('WEIR_SIGNING_KEY', `--trust '${k}' is not an nkey public key (the line 'weir keygen' prints, e.g. U…)`);
    }
  }
  return [...keys];
}

/** A new signing key: its seed (keep it secret, mode 0600) and its public key (give it to nodes' `--trust`). */
export function newSigningKey(): { seed: string; publicKey: string } {
  const pair = createUser();
  return { seed: new TextDecoder().decode(pair.getSeed()), publicKey: pair.getPublicKey() };
}
