import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { newSigningKey } from '../../src/index.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { startNatsServer } from '../support/nats-server.ts';
import { weir, weirRun } from '../cluster/cli-process.ts';

const password = `pw-${randomBytes(12).toString('hex')}`;
const stateKey = randomBytes(32);
const stateKeyText = `k1:${stateKey.toString('base64')}`;

/** Every form of every secret that must never show. */
function secretsIn(text: string, seed: string): string[] {
  return [password, stateKey.toString('base64'), stateKey.toString('hex'), seed].filter((s) => text.includes(s));
}

/** The command lines of every process on the machine, as `ps` shows them. */
const processList = () => execFileSync('ps', ['-eo', 'pid,args', '--cols', '100000'], { encoding: 'utf8' });

test('secrets (NATS password, state key, signing seed) never show in process arguments, logs, spans, metrics, weir jobs/nodes output or KV entries', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'weir-secrets-'));
  try {
    await using server = await startNatsServer({ config: `authorization { users: [ { user: u, password: "${password}" } ] }` });
    const keyFile = join(dir, 'sign.nk');
    const { seed, publicKey: pub } = newSigningKey();
    writeFileSync(keyFile, seed, { mode: 0o600 });
    // Secrets go in the environment or a file, never on the command line.
    const env = { NATS_PASSWORD: password, WEIR_STATE_KEY: stateKeyText, OUT: join(dir, 'out'), RATE: '15000' };
    const connection = ['--nats', server.url, '--user', 'u'];
    const node = weir(['node', '--name', 'a', '--slots', '2', '--trust', pub, ...connection], env);
    let outputs = '';
    try {
      await node.waitFor('node a joined');
      const submit = weir(['submit', 'test/cli/fixtures/windowed-counts.job.ts', '--parallelism', '2', '--sign', keyFile, '--wait', ...connection], env);
      // The job part (a child of the node holding the credentials) runs: look at every process's arguments now.
      await node.waitFor('HALFWAY');
      const ps = processList();
      assert.ok(ps.includes('job-process.ts'), 'the job process is in the list');
      assert.equal(secretsIn(ps, seed), [], 'ps shows no secret');
      assert.is(await submit.exit, 0, submit.output() + node.output());
      const jobs = await weirRun(['jobs', ...connection], env);
      const nodes = await weirRun(['nodes', ...connection], env);
      assert.match(jobs.output, /windowed-counts\s+completed/, jobs.output);
      assert.match(nodes.output, /^a\s+2 slots/m, nodes.output);
      outputs += submit.output() + jobs.output + nodes.output;
      // Every KV entry of the cluster.
      const nc = await connect({ servers: server.url, user: 'u', pass: password });
      try {
        const kvm = new Kvm(jetstream(nc));
        for (const bucket of ['weir_jobs', 'weir_nodes', 'weir_lease']) {
          const kv = await kvm.open(bucket);
          for await (const k of await kv.keys()) outputs += `${k}=${(await kv.get(k))?.string() ?? ''}\n`;
        }
        assert.match(outputs, /job\.windowed-counts=\{/);
      } finally {
        await nc.close();
      }
    } finally {
      node.child.kill('SIGTERM');
      await node.exit;
    }
    outputs += node.output();
    assert.match(node.output(), /\[windowed-counts\]/, 'the log holds the job process output');
    // Spans, metrics and logs of a job process that holds the password and the state key.
    const traced = await weirRun(['run', 'test/cli/fixtures/windowed-counts.job.ts', '--node', 'a', '--nodes', 'a', '--checkpoint-dir', join(dir, 'chk'), '--trace-sample', '0.002', '--metrics', '--console-telemetry', ...connection], { ...env, OUT: join(dir, 'out2'), RATE: '60000', OTEL_METRIC_EXPORT_INTERVAL: '200' });
    assert.is(traced.code, 0, traced.output);
    assert.match(traced.output, /traceId/, 'spans were printed');
    assert.match(traced.output, /descriptor|dataPoints/, 'metrics were printed');
    outputs += traced.output;
    // A password given as a flag after all works, with a warning that ps shows it.
    const flagged = await weirRun(['nodes', '--nats', server.url, '--user', 'u', '--password', password]);
    assert.is(flagged.code, 0, flagged.output);
    assert.match(flagged.output, /warning: --password is visible to every user of this machine \(ps\); set NATS_PASSWORD/);
    outputs += flagged.output;
    assert.equal(secretsIn(outputs, seed), [], 'no secret in any output or KV entry');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
