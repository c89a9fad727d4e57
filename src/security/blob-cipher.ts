import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { StateKeyProvider } from './state-keys.ts';
import { BlobRejectedError } from '../errors.ts';

/**
 * A sealed blob: `WEIRENC` + format byte 1, key id length (1 byte) and id, a 12-byte IV, the
 * 16-byte GCM tag, then the AES-256-GCM ciphertext. The header and the blob's name are the
 * additional authenticated data, so a blob moved under another name, a changed key id or a
 * flipped bit fails authentication.
 */
const MAGIC = Buffer.from('WEIRENC\x01', 'latin1');
const IV = 12;
const TAG = 16;

/** True when `bytes` starts like a sealed blob. */
export function isSealed(bytes: Uint8Array): boolean {
  return bytes.length >= MAGIC.length && Buffer.from(bytes.buffer, bytes.byteOffset, MAGIC.length).equals(MAGIC);
}

/**
 * Encrypts `plain` with the provider's current key, bound to `name`.
 * @example
 * ```ts
 * const sealed = await sealBlob(bytes, 'job/chk-000001/_metadata', stateKeysFromEnv()!)
 * ```
 */
export async function sealBlob(plain: Uint8Array, name: string, keys: StateKeyProvider): Promise<Uint8Array> {
  const { id, key } = await keys.currentKey();
  const idBytes = Buffer.from(id, 'utf8');
  const iv = randomBytes(IV);
  const header = Buffer.concat([MAGIC, Buffer.from([idBytes.length]), idBytes, iv]);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.concat([header, Buffer.from(name, 'utf8')]));
  // GCM is a stream mode: update() returns all of the ciphertext and final() nothing more.
  const body = cipher.update(plain);
  const rest = cipher.final();
  const out = Buffer.allocUnsafe(header.length + TAG + body.length + rest.length);
  header.copy(out, 0);
  cipher.getAuthTag().copy(out, header.length);
  body.copy(out, header.length + TAG);
  rest.copy(out, header.length + TAG + body.length);
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/**
 * Decrypts what {@link sealBlob} sealed under the same `name` (`where`, e.g. the store, only
 * goes into messages); throws {@link BlobRejectedError}
 * naming the blob when it is not sealed, its key is unknown, or it fails authentication.
 * @example
 * ```ts
 * const bytes = await openBlob(sealed, 'job/chk-000001/_metadata', keys)
 * ```
 */
export async function openBlob(sealed: Uint8Array, name: string, keys: StateKeyProvider, where?: string): Promise<Uint8Array> {
  const reject: (reason: string) => never = (reason) => {
    throw new BlobRejectedError(name, reason, where);
  };
  if (!isSealed(sealed)) reject(`not encrypted, while encryption at rest is on (keys from ${keys.describe()}): a plaintext blob may have been written by anyone with access to the store`);
  const b = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  const idLength = b[MAGIC.length];
  const headerLength = MAGIC.length + 1 + (idLength ?? 0) + IV;
  if (idLength === undefined || b.length < headerLength + TAG) reject(`truncated (${b.length} bytes)`);
  const id = b.subarray(MAGIC.length + 1, MAGIC.length + 1 + idLength).toString('utf8');
  const printable = /^[A-Za-z0-9_.-]{1,64}$/.test(id) ? id : '<malformed>';
  const key = await keys.keyById(id);
  if (!key) reject(`sealed with key '${printable}', which ${keys.describe()} does not hold (rotated away, or another cluster's key)`);
  const header = b.subarray(0, headerLength);
  const decipher = createDecipheriv('aes-256-gcm', key.key, header.subarray(headerLength - IV));
  decipher.setAAD(Buffer.concat([header, Buffer.from(name, 'utf8')]));
  decipher.setAuthTag(b.subarray(headerLength, headerLength + TAG));
  try {
    const plain = Buffer.concat([decipher.update(b.subarray(headerLength + TAG)), decipher.final()]);
    return new Uint8Array(plain.buffer, plain.byteOffset, plain.byteLength);
  } catch {
    reject(`authentication failed with key '${printable}': the blob was tampered with, moved from another name, or sealed with a different key under that id`);
  }
}
