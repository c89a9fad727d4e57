// One node's share of a Nexmark query run over NATS: `weir run bench/nexmark/node-job.ts --nats … --node a --nodes a,b --parallelism 2`
// with QUERY (e.g. q5) and EVENTS in the environment. Prints the outputs its sinks received.
import { CountSink } from '../../src/index.ts';
import { queries } from './queries/index.ts';
import { runQuery, NexmarkGenerator } from './job.ts';

const query = queries.find((q) => q.name === process.env.QUERY);
if (!query) throw new Error(`QUERY must name a Nexmark query (${queries.map((q) => q.name).join(', ')}), got '${process.env.QUERY}'`);
const sink = new CountSink();
await runQuery(query, new NexmarkGenerator({ seed: 1, outOfOrderMs: 100 }), Number(process.env.EVENTS ?? 1_000_000), sink);
console.log(JSON.stringify({ outputs: sink.count }));
