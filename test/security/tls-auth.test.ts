import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createUser } from '@nats-io/nkeys';
import { connectNats, type NatsConnectOptions } from '../../src/index.ts';
import { startNatsServer } from '../support/nats-server.ts';
import { weirRun } from '../cluster/cli-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'weir-tls-'));
const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
const f = (name: string) => join(dir, name);

/** A CA, and certificates it signs: a server certificate for 127.0.0.1 or a client certificate. */
function ca(name: string): void {
  ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '1', '-subj', `/CN=${name}`);
}
function issue(caName: string, name: string, usage: 'server' | 'client'): void {
  ssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
  writeFileSync(f(`${name}.ext`), usage === 'server' ? 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' : 'extendedKeyUsage=clientAuth\n');
  ssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${caName}.pem`, '-CAkey', `${caName}.key`, '-CAcreateserial', '-out', `${name}.pem`, '-days', '1', '-extfile', `${name}.ext`);
}
ca('ca');
ca('rogue-ca');
issue('ca', 'server', 'server');
issue('ca', 'client', 'client');
issue('rogue-ca', 'rogue-server', 'server');
issue('rogue-ca', 'rogue-client', 'client');

const tlsBlock = (cert: string, verify: boolean) => `tls { cert_file: ${JSON.stringify(f(`${cert}.pem`))}, key_file: ${JSON.stringify(f(`${cert}.key`))}, ca_file: ${JSON.stringify(f('ca.pem'))}, verify: ${verify}, timeout: 2 }`;

/**
 * The error connecting with `o`. A refusal must come as an answer, not at the connect timeout: the timeout is a
 * minute, so a client that waits for it shows a timeout message (and a removed protection a connection).
 */
async function refusal(o: NatsConnectOptions): Promise<string> {
  try {
    const nc = await connectNats({ timeoutMs: 60_000, ...o });
    await nc.close();
  } catch (error) {
    const message = `${(error as Error).message} ${String((error as { cause?: Error }).cause?.message ?? '')}`;
    assert.not.match(message, /timeout/i, 'refused, not timed out');
    return message;
  }
  throw new Error('connected');
}

test('mutual TLS with a pinned CA: only a client certificate of that CA gets in; a server certificate of another CA is refused by the client', async () => {
  await using server = await startNatsServer({ config: tlsBlock('server', true) });
  const servers = [server.url];
  const tls = { caFile: f('ca.pem'), certFile: f('client.pem'), keyFile: f('client.key') };
  const nc = await connectNats({ servers, tls });
  assert.ok(nc.info?.tls_required);
  await nc.close();
  // TLS 1.3: the server refuses the certificate after the handshake, with an alert; the client says so at once.
  const certificate = /cannot connect to NATS at nats:\/\/127\.0\.0\.1:\d+: TLS: the server refused the client certificate \((tlsv13 alert certificate required|sslv3 alert bad certificate|tlsv1 alert unknown ca|no alert: the server reset the connection right after the handshake)\)/;
  assert.match(await refusal({ servers, tls: { caFile: f('ca.pem') } }), certificate);
  assert.match(await refusal({ servers, tls: { caFile: f('ca.pem'), certFile: f('rogue-client.pem'), keyFile: f('rogue-client.key') } }), certificate);
  const cli = await weirRun(['nodes', '--nats', server.url, '--tls-ca', tls.caFile]);
  assert.is.not(cli.code, 0);
  assert.match(cli.output, new RegExp(`^weir: ${certificate.source}`, 'm'), cli.output);
  assert.match(server.logTail(), /client didn't provide a certificate/);
  assert.match(server.logTail(), /TLS handshake error: .*certificate/);
  // The weir command passes the client certificate through.
  const nodes = await weirRun(['nodes', '--nats', server.url, '--tls-ca', tls.caFile, '--tls-cert', tls.certFile, '--tls-key', tls.keyFile]);
  assert.is(nodes.code, 0, nodes.output);
  assert.match(nodes.output, /no nodes/);

  await using rogue = await startNatsServer({ config: tlsBlock('rogue-server', false) });
  assert.match(await refusal({ servers: [rogue.url], tls }), /certificate|self.signed|unable to verify/i);
});

test('plaintext is refused both ways: a server requiring TLS answers a plaintext client with an error, and a client configured for TLS does not talk to a plaintext server', async () => {
  await using server = await startNatsServer({ config: tlsBlock('server', false) });
  const answer = await new Promise<string>((resolve) => {
    const s = tcpConnect({ host: '127.0.0.1', port: server.port });
    let text = '';
    s.on('data', (d) => {
      text += d.toString('latin1');
      if (text.includes('INFO')) s.write('CONNECT {"verbose":false,"user":"u","pass":"p"}\r\nPING\r\n');
    });
    s.on('close', () => resolve(text));
    s.on('error', () => resolve(text));
  });
  assert.match(answer, /"tls_required":true/);
  assert.not.match(answer, /PONG/, 'no plaintext session');
  await using plain = await startNatsServer({ config: 'authorization { user: u, password: "s3cret-plain" }' });
  const message = await refusal({ servers: [plain.url], user: 'u', password: 's3cret-plain', tls: { caFile: f('ca.pem') } });
  assert.match(message, /TLS/i);
  assert.not.ok(message.includes('s3cret-plain'));
});

test('a wrong password, token or nkey is refused at once with an authorization error that shows no secret', async () => {
  const seed = createUser();
  await using server = await startNatsServer({ config: `authorization { users: [ { user: u, password: "right-pw-1" }, { nkey: ${JSON.stringify(seed.getPublicKey())} } ] }` });
  await using tokenServer = await startNatsServer({ config: 'authorization { token: "right-token-1" }' });
  const wrongSeed = join(dir, 'wrong.nk');
  writeFileSync(wrongSeed, new TextDecoder().decode(createUser().getSeed()), { mode: 0o600 });
  const cases: Array<[NatsConnectOptions, string[]]> = [
    [{ servers: [server.url], user: 'u', password: 'wrong-pw-1' }, ['wrong-pw-1', 'right-pw-1']],
    [{ servers: [tokenServer.url], token: 'wrong-token-1' }, ['wrong-token-1', 'right-token-1']],
    [{ servers: [server.url], nkeySeedFile: wrongSeed }, []],
  ];
  for (const [options, secrets] of cases) {
    const message = await refusal(options);
    assert.match(message, /cannot connect to NATS at nats:\/\/127\.0\.0\.1:\d+: .*Authorization Violation/i, message);
    for (const s of secrets) assert.not.ok(message.includes(s), `the error shows no secret: ${message}`);
  }
  const ok = await connectNats({ servers: [server.url], user: 'u', password: 'right-pw-1' });
  await ok.close();
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
