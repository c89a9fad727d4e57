import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAccount, createOperator, createUser, type KeyPair } from '@nats-io/nkeys';
import { startNatsServer } from '../support/nats-server.ts';
import { runJobOnOneNode, weirRun } from './cli-process.ts';

const base64url = (bytes: Uint8Array | string) => Buffer.from(bytes).toString('base64url');

/** RFC 4648 base32 without padding, as Go's base32.StdEncoding.WithPadding(NoPadding). */
function base32(bytes: Uint8Array): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}

/**
 * Signs a NATS v2 JWT as github.com/nats-io/jwt does: `jti` is the unpadded base32 SHA-512/256 of the standard
 * claims (jti empty, in Go's field order), the signature is the issuer's ed25519 signature of `header.payload`.
 */
function signJwt(issuer: KeyPair, subject: string, name: string, nats: Record<string, unknown>): string {
  const standard = { iat: Math.floor(Date.now() / 1000), iss: issuer.getPublicKey(), name, sub: subject };
  const jti = base32(createHash('sha512-256').update(JSON.stringify(standard)).digest());
  const header = base64url(JSON.stringify({ typ: 'JWT', alg: 'ed25519-nkey' }));
  const payload = base64url(JSON.stringify({ jti, ...standard, nats: { ...nats, version: 2 } }));
  return `${header}.${payload}.${base64url(issuer.sign(new TextEncoder().encode(`${header}.${payload}`)))}`;
}

/** A `.creds` file as `nsc generate creds` writes it. */
function credsFile(jwt: string, seed: Uint8Array): string {
  return [
    '-----BEGIN NATS USER JWT-----',
    jwt,
    '------END NATS USER JWT------',
    '',
    '************************* IMPORTANT *************************',
    'NKEY Seed printed below can be used to sign and prove identity.',
    'NKEYs are sensitive and should be treated as secrets.',
    '',
    '-----BEGIN USER NKEY SEED-----',
    new TextDecoder().decode(seed),
    '------END USER NKEY SEED------',
    '',
    '*************************************************************',
    '',
  ].join('\n');
}

/**
 * An operator, a system account, an application account allowed JetStream and one of its users, all generated here:
 * the server configuration for operator mode with a memory resolver, the user's `.creds` text, and a second `.creds`
 * of a user signed by an account the server does not know.
 */
function operatorSetup(): { config: string; creds: string; strangerCreds: string } {
  const operator = createOperator();
  const system = createAccount();
  const account = createAccount();
  const user = createUser();
  const unlimited = { subs: -1, data: -1, payload: -1, imports: -1, exports: -1, wildcards: true, conn: -1, leaf: -1 };
  const operatorJwt = signJwt(operator, operator.getPublicKey(), 'weir-test', { type: 'operator', system_account: system.getPublicKey() });
  const systemJwt = signJwt(operator, system.getPublicKey(), 'SYS', { type: 'account', limits: unlimited });
  // OperatorLimits embeds NatsLimits, AccountLimits and JetStreamLimits, so the JetStream limits sit flat in `limits`.
  const accountJwt = signJwt(operator, account.getPublicKey(), 'weir', {
    type: 'account',
    limits: { ...unlimited, mem_storage: -1, disk_storage: -1, streams: -1, consumer: -1 },
  });
  const userClaims = { type: 'user', pub: {}, sub: {}, subs: -1, data: -1, payload: -1 };
  const creds = credsFile(signJwt(account, user.getPublicKey(), 'weir-user', userClaims), user.getSeed());
  const stranger = createUser();
  const strangerCreds = credsFile(signJwt(createAccount(), stranger.getPublicKey(), 'stranger', userClaims), stranger.getSeed());
  const config = [
    `operator: ${JSON.stringify(operatorJwt)}`,
    `system_account: ${JSON.stringify(system.getPublicKey())}`,
    'resolver: MEMORY',
    'resolver_preload: {',
    `  ${system.getPublicKey()}: ${JSON.stringify(systemJwt)}`,
    `  ${account.getPublicKey()}: ${JSON.stringify(accountJwt)}`,
    '}',
  ].join('\n');
  return { config, creds, strangerCreds };
}

test('a .creds file passes through: against a nats-server in operator mode, weir node without it fails at once naming the authorization error; with it, a node runs a submitted job whose processes sign in with the creds too', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'weir-creds-'));
  try {
    const { config, creds, strangerCreds } = operatorSetup();
    const file = join(dir, 'user.creds');
    writeFileSync(file, creds, { mode: 0o600 });
    await using server = await startNatsServer({ config });
    const anonymous = await weirRun(['node', '--nats', server.url, '--name', 'a']);
    assert.is.not(anonymous.code, 0);
    assert.match(anonymous.output, /weir: cannot connect to NATS at nats:\/\/127\.0\.0\.1:\d+: .*authori[sz]ation/i, anonymous.output + server.logTail());
    const stranger = join(dir, 'stranger.creds');
    writeFileSync(stranger, strangerCreds, { mode: 0o600 });
    const impostor = await weirRun(['node', '--nats', server.url, '--name', 'a', '--creds', stranger]);
    assert.is.not(impostor.code, 0, 'a user of an account the server does not know is refused');
    assert.match(impostor.output, /authori[sz]ation/i, impostor.output);
    let rows: string[];
    try {
      rows = await runJobOnOneNode(server.url, dir, ['--creds', file]);
    } catch (error) {
      throw new Error(`${(error as Error).message}\nnats-server log:\n${server.logTail()}`);
    }
    assert.is(rows.length, 300);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
