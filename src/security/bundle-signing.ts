import { createHash } from 'node:crypto';
import { createUser, fromPublic, fromSeed } from '@nats-io/nkeys';
import { BundleRejectedError, WeirError } from '../errors.ts';

/** Object metadata keys of a signed bundle in the bundles object store. */
export const SIGNER_META = 'weir-signer';
export const SIGNATURE_META = 'weir-signature';

/** What a signature covers: a domain tag, the bundle's name and the SHA-256 of its code. */
function signedText(name: string, code: Uint8Array): Uint8Array {
  return new TextEncoder().encode(`weir-bundle-v1\n${name}\n${createHash('sha256').update(code).digest('hex')}`);
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
 * (the signer's public key and the signature of name + SHA-256 of the code).
 * @example
 * ```ts
 * const meta = signBundle(code, 'counts-1700000000000', readFileSync('signing.nk', 'utf8'), 'signing.nk')
 * ```
 */
export function signBundle(code: Uint8Array, name: string, seed: string, where = 'the signing key'): Record<string, string> {
  const pair = keyPairOf(seed, where);
  return { [SIGNER_META]: pair.getPublicKey(), [SIGNATURE_META]: Buffer.from(pair.sign(signedText(name, code))).toString('base64') };
}

/**
 * Checks that `code` is the bundle `name` as signed by one of the `trusted` public keys; throws
 * {@link BundleRejectedError} saying why not (unsigned, signer not trusted, changed after signing).
 * @example
 * ```ts
 * verifyBundle(code, info.name, info.metadata ?? {}, ['UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4'])
 * ```
 */
export function verifyBundle(code: Uint8Array, name: string, meta: Record<string, string>, trusted: readonly string[]): void {
  const signer = meta[SIGNER_META];
  const signature = meta[SIGNATURE_META];
  if (!signer || !signature) throw new BundleRejectedError(name, `it is not signed, and this node runs only bundles signed by a trusted key (--trust); submit it with 'weir submit --sign <seed file>'`);
  if (!trusted.includes(signer)) throw new BundleRejectedError(name, `it is signed by ${signer}, which this node does not trust (--trust ${trusted.join(',')})`);
  let valid = false;
  try {
    valid = fromPublic(signer).verify(signedText(name, code), new Uint8Array(Buffer.from(signature, 'base64')));
  } catch {
    valid = false;
  }
  if (!valid) throw new BundleRejectedError(name, `its signature by ${signer} does not match its contents (changed after signing, or renamed)`);
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
