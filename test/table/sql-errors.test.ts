import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { StreamEnvironment, TableEnvironment, SqlError, WeirError } from '../../src/index.ts';

function tableEnv() {
  const tEnv = TableEnvironment.create(StreamEnvironment.create());
  tEnv.executeSql(`CREATE TABLE bids (auction BIGINT, price BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH ('connector' = 'generator', 'number-of-rows' = '10')`);
  return tEnv;
}

/** The SqlError a statement raises: code, line, column and message. */
function errorOf(run: () => unknown): SqlError {
  try {
    run();
  } catch (error) {
    assert.instance(error, SqlError);
    assert.instance(error, WeirError);
    assert.is((error as SqlError).code, 'WEIR_SQL');
    return error as SqlError;
  }
  throw new Error('expected a SqlError');
}

const cases: [string, string, number, number, RegExp][] = [
  ['a syntax error (from the parser) points at the bad token', 'SELECT auction FROM bids\nWHERE price === 3', 2, 14, /syntax error near '=='/],
  ['an unknown column', 'SELECT auction,\n  prize\nFROM bids', 2, 3, /column 'prize' not found \(columns: auction, price, ts\)/],
  ['an unknown table', 'SELECT auction FROM nope', 1, 21, /table 'nope' not found/],
  ['an unknown function lists the known ones', 'SELECT FOO(price) FROM bids', 1, 8, /unknown function FOO \(scalar functions: UPPER/],
  ['ORDER BY on an unbounded stream', 'SELECT auction FROM bids ORDER BY price', 1, 26, /ORDER BY is only supported inside OVER/],
  ['a window over a column that is not the time attribute', "SELECT window_start, COUNT(*) FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(price), INTERVAL '1' SECOND)) GROUP BY window_start, window_end", 1, 72, /DESCRIPTOR\(price\) must name the time attribute of 'bids', which is 'ts'/],
  ['a column neither grouped nor aggregated', 'SELECT auction,\n price FROM bids GROUP BY auction', 2, 2, /in a GROUP BY query a column must be grouped or aggregated/],
  ['a temporal join with the alias before FOR SYSTEM_TIME', 'SELECT * FROM bids b\n  JOIN bids c FOR SYSTEM_TIME AS OF b.ts ON b.auction = c.auction', 2, 15, /FOR SYSTEM_TIME AS OF must follow a table name/],
  ['a temporal join on a table without a primary key', 'SELECT * FROM bids AS b\n  JOIN bids FOR SYSTEM_TIME AS OF b.ts AS c ON b.auction = c.auction', 2, 17, /must be a versioned table: declare its PRIMARY KEY/],
  ['a cross join', 'SELECT a.auction FROM bids a CROSS JOIN bids b', 1, 30, /CROSS JOIN is not supported \(INNER, LEFT, RIGHT and FULL OUTER JOIN are\)/],
  ['an OVER aggregation not ordered by the time attribute', 'SELECT auction, SUM(price) OVER (PARTITION BY auction ORDER BY price ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS s FROM bids', 1, 55, /must order by the time attribute 'ts' ascending/],
  ['a Top-N without its bound', 'SELECT * FROM (SELECT auction, ROW_NUMBER() OVER (PARTITION BY auction ORDER BY price) AS rn FROM bids)', 1, 91, /WHERE rn <= N/],
];

for (const [what, sql, line, column, message] of cases) {
  test(`${what}: SqlError at line ${line}, column ${column}`, () => {
    const e = errorOf(() => tableEnv().sqlQuery(sql));
    assert.match(e.message, message);
    assert.equal([e.line, e.column], [line, column], e.message);
  });
}

test('DDL errors: unsupported watermark expression, unknown connector option value, positions in a multi-statement script', () => {
  const tEnv = tableEnv();
  const wm = errorOf(() => tEnv.executeSql("CREATE TABLE y (a INT, ts TIMESTAMP(3),\n WATERMARK FOR ts AS ts + 5) WITH ('connector' = 'generator')"));
  assert.equal([wm.line, wm.column], [2, 22]);
  const script = "CREATE TABLE z (a INT) WITH ('connector' = 'generator');\nSELECT a FROM z;\nSELECT b FROM z";
  const e = errorOf(() => tEnv.sql(script));
  assert.equal([e.line, e.column], [3, 8]);
  const bad = errorOf(() => tEnv.executeSql("CREATE TABLE w (a INT) WITH ('connector' = 'generator', nope)"));
  assert.match(bad.message, /'key' = 'value' pairs/);
  const source = errorOf(() => tEnv.sql("CREATE TABLE pgt (a INT) WITH ('connector' = 'postgres'); SELECT a FROM pgt"));
  assert.match(source.message, /connector 'postgres' cannot be read/);
});

test.run();
