import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createUser } from '@nats-io/nkeys';
import { startNatsServer } from '../support/nats-server.ts';
import { runJobOnOneNode, weirRun } from './cli-process.ts';

test('an nkey passes through: without the seed weir node fails at once naming the authorization error; with it, a node runs a submitted job whose process signs in with the nkey too', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'weir-nkey-'));
  try {
    const user = createUser();
    const seedFile = join(dir, 'user.nk');
    writeFileSync(seedFile, new TextDecoder().decode(user.getSeed()), { mode: 0o600 });
    await using server = await startNatsServer({ config: `authorization { users: [ { nkey: ${JSON.stringify(user.getPublicKey())} } ] }` });
    const anonymous = await weirRun(['node', '--nats', server.url, '--name', 'a']);
    assert.is.not(anonymous.code, 0);
    assert.match(anonymous.output, /weir: cannot connect to NATS at nats:\/\/127\.0\.0\.1:\d+: .*authori[sz]ation/i);
    const wrong = join(dir, 'other.nk');
    writeFileSync(wrong, new TextDecoder().decode(createUser().getSeed()), { mode: 0o600 });
    const impostor = await weirRun(['node', '--nats', server.url, '--name', 'a', '--nkey', wrong]);
    assert.is.not(impostor.code, 0, 'a seed the server does not know is refused');
    assert.is((await runJobOnOneNode(server.url, dir, ['--nkey', seedFile])).length, 300);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
