import { TableEnvironment, type DataStream } from '../../src/index.ts';
import type { NexmarkQuery } from './query.ts';
import type { NexmarkEvent } from './model.ts';
import { queries } from './queries/index.ts';

/**
 * The Nexmark queries in Flink SQL (as in the nexmark project's queries, adapted to this suite's
 * definitions of q5 and q7: ties kept), planned onto the DataStream operators by the table planner.
 * The event stream is the table `nexmark` with one ROW column per event kind; the view `bid`
 * flattens it, as the Flink Nexmark DDL does. `person` and `auction` are tables of their own with
 * `PRIMARY KEY (id) NOT ENFORCED` (ids are unique in Nexmark), so the planner may rely on it (q4).
 */
const views = `
CREATE VIEW bid AS SELECT bid.auction AS auction, bid.bidder AS bidder, bid.price AS price, bid.channel AS channel, dateTime FROM nexmark WHERE kind = 2;
`;

/** The SQL text of each query (the result's column names are those of the DataStream versions' rows). */
export const nexmarkSql: Record<string, string> = {
  q0: `SELECT kind, person, auction, bid FROM nexmark`,
  q1: `SELECT auction, bidder, CAST(0.908 * price AS BIGINT) AS price, dateTime FROM bid`,
  q2: `SELECT auction, price FROM bid WHERE MOD(auction, 123) = 0`,
  q3: `SELECT P.name AS name, P.city AS city, P.state AS state, A.id AS id
       FROM auction AS A INNER JOIN person AS P ON A.seller = P.id
       WHERE A.category = 10 AND (P.state = 'OR' OR P.state = 'ID' OR P.state = 'CA')`,
  q4: `SELECT category, COUNT(*) AS count, AVG(final) AS average FROM (
         SELECT MAX(B.price) AS final, A.category AS category
         FROM auction A, bid B
         WHERE A.id = B.auction AND B.dateTime BETWEEN A.dateTime AND A.expires
         GROUP BY A.id, A.category) Q
       GROUP BY category`,
  q5: `SELECT auction, num, window_end AS windowEnd FROM (
         SELECT auction, num, window_end, RANK() OVER (PARTITION BY window_end ORDER BY num DESC) AS rk FROM (
           SELECT auction, COUNT(*) AS num, window_start, window_end
           FROM TABLE(HOP(TABLE bid, DESCRIPTOR(dateTime), INTERVAL '2' SECOND, INTERVAL '10' SECOND))
           GROUP BY auction, window_start, window_end))
       WHERE rk <= 1`,
  q7: `SELECT auction, price, bidder, dateTime, window_end AS windowEnd FROM (
         SELECT auction, price, bidder, dateTime, window_end, RANK() OVER (PARTITION BY window_start, window_end ORDER BY price DESC) AS rk
         FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(dateTime), INTERVAL '10' SECOND)))
       WHERE rk <= 1`,
  q8: `SELECT P.id AS id, P.name AS name, P.starttime AS windowStart FROM
         (SELECT id, name, window_start AS starttime, window_end AS endtime
          FROM TABLE(TUMBLE(TABLE person, DESCRIPTOR(dateTime), INTERVAL '10' SECOND)) GROUP BY id, name, window_start, window_end) P
       JOIN
         (SELECT seller, window_start AS starttime, window_end AS endtime
          FROM TABLE(TUMBLE(TABLE auction, DESCRIPTOR(dateTime), INTERVAL '10' SECOND)) GROUP BY seller, window_start, window_end) A
       ON P.id = A.seller AND P.starttime = A.starttime AND P.endtime = A.endtime`,
};

const row = (fields: Record<string, string>) => fields;
const nexmarkSchema = {
  kind: 'INT',
  person: row({ id: 'BIGINT', name: 'STRING', emailAddress: 'STRING', creditCard: 'STRING', city: 'STRING', state: 'STRING', dateTime: 'TIMESTAMP' }),
  auction: row({ id: 'BIGINT', itemName: 'STRING', description: 'STRING', initialBid: 'BIGINT', reserve: 'BIGINT', dateTime: 'TIMESTAMP', expires: 'TIMESTAMP', seller: 'BIGINT', category: 'BIGINT' }),
  bid: row({ auction: 'BIGINT', bidder: 'BIGINT', price: 'BIGINT', channel: 'STRING', dateTime: 'TIMESTAMP' }),
};

/** The nexmark event stream as the table `nexmark` (its timestamps are the events' dateTime). */
export function nexmarkTable(events: DataStream<NexmarkEvent>): TableEnvironment {
  const tEnv = TableEnvironment.create(events.env);
  tEnv.createTemporaryView('nexmark', events, {
    schema: nexmarkSchema,
    computed: { dateTime: { type: 'TIMESTAMP', expr: 'CASE kind WHEN 0 THEN person.dateTime WHEN 1 THEN auction.dateTime ELSE bid.dateTime END' } },
    rowtime: 'dateTime',
  });
  // The Table API form of `CREATE TABLE auction (…, PRIMARY KEY (id) NOT ENFORCED)` over a DataStream.
  const { person, auction } = nexmarkSchema;
  tEnv.createTemporaryView('person', events.filter((e) => e.kind === 0, 'person').map((e) => (e as { person: object }).person, 'person-row'), { schema: person, rowtime: 'dateTime', primaryKey: ['id'] });
  tEnv.createTemporaryView('auction', events.filter((e) => e.kind === 1, 'auction').map((e) => (e as { auction: object }).auction, 'auction-row'), { schema: auction, rowtime: 'dateTime', primaryKey: ['id'] });
  tEnv.sql(views);
  return tEnv;
}

/**
 * The SQL versions, with the DataStream versions' references and row formats. q4's result updates
 * (a changelog): its rows are the upserts (+I/+U), and `final` keeps the last per category.
 */
export const sqlQueries: NexmarkQuery<any>[] = queries
  .filter((q) => nexmarkSql[q.name] !== undefined)
  .map((q) => ({
    ...q,
    description: `${q.description}, in SQL`,
    build: (events: DataStream<NexmarkEvent>) => {
      const tEnv = nexmarkTable(events);
      const table = tEnv.sqlQuery(nexmarkSql[q.name]!);
      if (!table.changelog) return tEnv.toDataStream(table);
      return tEnv
        .toChangelogStream(table)
        .filter((c) => c.kind === '+I' || c.kind === '+U', 'upserts')
        .map((c) => c.row, 'upsert-rows');
    },
  }));
