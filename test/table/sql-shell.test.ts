import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Readable, Writable } from 'node:stream';
import { runSqlShell } from '../../src/cli/sql-shell.ts';

/** Runs the shell over a script and returns what it printed. */
async function shell(script: string, live = false): Promise<string> {
  let printed = '';
  const output = new Writable({
    write(chunk, _enc, done) {
      printed += chunk.toString();
      done();
    },
  });
  await runSqlShell({ input: Readable.from([script]), output, live });
  return printed;
}

const ddl = "CREATE TABLE t (k BIGINT, v BIGINT) WITH ('connector' = 'generator', 'number-of-rows' = '900', 'fields.k.kind' = 'sequence');\n";

test('weir sql: DDL is remembered, a statement may span lines, an updating SELECT prints its final table', async () => {
  const out = await shell(`${ddl}CREATE VIEW m AS SELECT MOD(k, 3) AS g, v FROM t;\nSELECT g, COUNT(*) AS n\n  FROM m GROUP BY g;\n`);
  assert.match(out, /table t created/);
  assert.match(out, /view m created/);
  const rows = [...out.matchAll(/^\| (\d) +\| (\d+) +\|$/gm)].map((m) => [Number(m[1]), Number(m[2])]).sort();
  // k runs 0…899: 300 of each remainder; the upserted table keeps one row per group.
  assert.equal(rows, [[0, 300], [1, 300], [2, 300]]);
  assert.match(out, /3 row\(s\)/);
});

test('weir sql: errors print with their position and the shell goes on; EXPLAIN prints the plan', async () => {
  const out = await shell(`${ddl}SELECT nope FROM t;\nEXPLAIN SELECT k FROM t WHERE v > 3;\nSELECT COUNT(*) AS n FROM t WHERE k < 10 GROUP BY k;\n`);
  assert.match(out, /SQL error at line 1, column 8: column 'nope' not found/);
  assert.match(out, /== Physical plan ==\n\[0\] t -> sql-\d+:where -> sql-\d+:select/);
  assert.match(out, /10 row\(s\)/);
});

test('weir sql --live redraws the table in place (cursor up, clear) while the result changes, ending at the final counts', async () => {
  // 1000 rows a second for 0.9 s: the 200 ms redraw timer sees the table change several times.
  const slow = "CREATE TABLE s (k BIGINT) WITH ('connector' = 'generator', 'number-of-rows' = '900', 'rows-per-second' = '1000', 'fields.k.kind' = 'sequence');\n";
  const out = await shell(`${slow}CREATE VIEW m AS SELECT MOD(k, 2) AS g FROM s;\nSELECT g, COUNT(*) AS n FROM m GROUP BY g;\n`, true);
  assert.match(out, /\x1b\[\d+A\x1b\[J/);
  const last = out.slice(out.lastIndexOf('\x1b[J'));
  const rows = [...last.matchAll(/^\| (\d) +\| (\d+) +\|$/gm)].map((m) => [Number(m[1]), Number(m[2])]).sort();
  assert.equal(rows, [[0, 450], [1, 450]]);
});

test.run();
