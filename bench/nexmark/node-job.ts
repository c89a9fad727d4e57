// One node's share of a Nexmark query run over NATS: `weir run bench/nexmark/node-job.ts --nats … --node a --nodes a,b --parallelism 2`
// with QUERY (e.g. q5) and EVENTS in the environment. Prints the outputs its sinks received and their digest.
import { queries } from './queries/index.ts';
import { runQuery, NexmarkGenerator } from './job.ts';
import { QueryDigest } from './query-digest.ts';

const query = queries.find((q) => q.name === process.env.QUERY);
if (!query) throw new Error(`QUERY must name a Nexmark query (${queries.map((q) => q.name).join(', ')}), got '${process.env.QUERY}'`);
// An updating query's final rows need every process's updates together: its digest is not additive.
if (query.final) throw new Error(`${query.name} is an updating query: its result cannot be digested per process`);
const digest = new QueryDigest(query);
const sink = { name: 'digest', createWriter: () => ({ open() {}, write: (rows: unknown[]) => digest.add(rows), close() {} }) };
await runQuery(query, new NexmarkGenerator({ seed: 1, outOfOrderMs: 100 }), Number(process.env.EVENTS ?? 1_000_000), sink);
const rows = digest.result();
console.log(JSON.stringify({ outputs: rows.count, result: rows.toString() }));
