import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createUser } from '@nats-io/nkeys';
import { startNatsServer } from '../support/nats-server.ts';
import { weir, weirRun } from './cli-process.ts';

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
    const node = weir(['node', '--nats', server.url, '--name', 'a', '--slots', '2', '--nkey', seedFile], { OUT: join(dir, 'out') });
    try {
      await node.waitFor('node a joined');
      const submit = await weirRun(['submit', 'test/cli/fixtures/windowed-counts.job.ts', '--parallelism', '2', '--wait', '--nats', server.url, '--nkey', seedFile]);
      assert.is(submit.code, 0, submit.output + node.output());
      const rows = readdirSync(join(dir, 'out')).filter((f) => f.endsWith('.jsonl')).flatMap((f) => readFileSync(join(dir, 'out', f), 'utf8').split('\n').filter(Boolean));
      assert.is(rows.length, 300);
    } finally {
      node.child.kill('SIGTERM');
      assert.is(await node.exit, 0, node.output());
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
