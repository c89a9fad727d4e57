import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNatsServer } from '../support/nats-server.ts';
import { weir, weirRun } from '../cluster/cli-process.ts';
import { connectNats } from '../../src/cluster/nats-connect.ts';
import { connectCluster } from '../../src/cluster/cluster-client.ts';

/**
 * `weir sql --nats`: statements given with -e run against one `weir node`. An INSERT returns at
 * once with its job's name (the job writes the file table on the node); a SELECT's changes come
 * back over NATS and are printed as the result table, which equals the reference.
 */

const ddl = "CREATE TABLE t (k BIGINT, v BIGINT) WITH ('connector' = 'generator', 'number-of-rows' = '900', 'fields.k.kind' = 'sequence'); CREATE VIEW m AS SELECT MOD(k, 3) AS g, k FROM t;";

test('weir sql --nats: INSERT is submitted and returns its job name; a SELECT runs on the node and prints its final table', async () => {
  await using server = await startNatsServer();
  const dir = mkdtempSync(join(tmpdir(), 'weir-sql-cluster-'));
  const out = join(dir, 'out');
  const node = weir(['node', '--nats', server.url, '--name', 'a', '--slots', '2']);
  try {
    await node.waitFor('node a joined');
    const insert = await weirRun(['sql', '--nats', server.url, '-e', `${ddl} CREATE TABLE picked (g BIGINT, k BIGINT) WITH ('connector' = 'file', 'path' = '${out}'); INSERT INTO picked SELECT g, k FROM m WHERE MOD(k, 100) = 0;`]);
    assert.is(insert.code, 0, insert.output + node.output());
    const job = /submitted job '([\w-]+)'/.exec(insert.output)?.[1];
    assert.ok(job, insert.output);
    const nc = await connectNats({ servers: [server.url] });
    try {
      const record = await (await connectCluster(nc)).waitFor(job!);
      assert.is(record.status, 'completed', `${record.reason ?? ''}\n${node.output()}`);
    } finally {
      await nc.close();
    }
    const rows = readdirSync(out).filter((f) => !f.startsWith('.')).flatMap((f) => readFileSync(join(out, f), 'utf8').split('\n').filter(Boolean)).map((l) => JSON.parse(l) as { g: number; k: number });
    assert.equal(rows.map((r) => r.k).sort((a, b) => a - b), [0, 100, 200, 300, 400, 500, 600, 700, 800]);
    assert.ok(rows.every((r) => r.g === r.k % 3));

    const select = await weirRun(['sql', '--nats', server.url, '--parallelism', '2', '-e', `${ddl} SELECT g, COUNT(*) AS n, MAX(k) AS top FROM m GROUP BY g;`]);
    assert.is(select.code, 0, select.output + node.output());
    const printed = [...select.output.matchAll(/^\| (\d) +\| (\d+) +\| (\d+) +\|$/gm)].map((x) => [Number(x[1]), Number(x[2]), Number(x[3])]).sort();
    // k runs 0…899: 300 of each remainder; the upserted table keeps one row per group.
    assert.equal(printed, [[0, 300, 897], [1, 300, 898], [2, 300, 899]], select.output);
    assert.match(select.output, /3 row\(s\)/);
    // Both statements ran as cluster jobs, not embedded in the shell.
    const nc2 = await connectNats({ servers: [server.url] });
    try {
      const jobs = await (await connectCluster(nc2)).jobs();
      assert.equal(jobs.map((j) => [j.name.startsWith('sql-'), j.status, j.parallelism]), [[true, 'completed', 1], [true, 'completed', 2]]);
    } finally {
      await nc2.close();
    }
  } finally {
    node.child.kill('SIGTERM');
    await node.exit;
    rmSync(dir, { recursive: true, force: true });
  }
});

test('weir sql --nats: Ctrl-C during an endless SELECT cancels its job and prints the table so far', async () => {
  await using server = await startNatsServer();
  const node = weir(['node', '--nats', server.url, '--name', 'a', '--slots', '2']);
  const nc = await connectNats({ servers: [server.url] });
  try {
    await node.waitFor('node a joined');
    const shell = weir(['sql', '--nats', server.url, '-e', "CREATE TABLE u (k BIGINT) WITH ('connector' = 'generator', 'rows-per-second' = '500', 'fields.k.kind' = 'sequence'); SELECT MOD(k, 2) AS g, COUNT(*) AS n FROM u GROUP BY MOD(k, 2);"]);
    await shell.waitFor(/running as job '[\w-]+' on the cluster/);
    const job = /running as job '([\w-]+)'/.exec(shell.output())![1]!;
    // Once a change reached NATS, the shell has one too (it subscribed before submitting).
    const sub = nc.subscribe(`weir.${job}.sql-results`, { max: 1 });
    for await (const _m of sub) break;
    shell.child.kill('SIGINT');
    assert.is(await shell.exit, 0, shell.output() + node.output());
    const record = await (await connectCluster(nc)).waitFor(job);
    assert.is(record.status, 'cancelled');
    assert.match(shell.output(), /\| g +\| n +\|/);
    assert.match(shell.output(), /[12] row\(s\)/);
  } finally {
    await nc.close();
    node.child.kill('SIGTERM');
    await node.exit;
  }
});

test.run();
