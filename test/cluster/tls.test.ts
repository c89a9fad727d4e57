import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNatsServer } from '../support/nats-server.ts';
import { runJobOnOneNode, weirRun } from './cli-process.ts';

/** A throwaway CA and a server certificate for 127.0.0.1, made with openssl. */
function makeCertificates(dir: string): { ca: string; cert: string; key: string } {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=weir-test-ca');
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  ssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '1', '-extfile', 'san.ext');
  return { ca: join(dir, 'ca.pem'), cert: join(dir, 'server.pem'), key: join(dir, 'server.key') };
}

test('TLS passes through: without the CA weir node fails at once with a clear error; with it, a node runs a submitted job whose process connects over TLS too', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'weir-tls-'));
  try {
    const c = makeCertificates(dir);
    await using server = await startNatsServer({ config: `tls { cert_file: ${JSON.stringify(c.cert)}, key_file: ${JSON.stringify(c.key)}, timeout: 2 }` });
    const untrusted = await weirRun(['node', '--nats', server.url, '--name', 'a']);
    assert.is.not(untrusted.code, 0);
    assert.match(untrusted.output, /weir: cannot connect to NATS at nats:\/\/127\.0\.0\.1:\d+: .*(certificate|self.signed)/i);
    assert.is((await runJobOnOneNode(server.url, dir, ['--tls-ca', c.ca])).length, 300);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
