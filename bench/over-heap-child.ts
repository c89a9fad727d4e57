import { StreamEnvironment, CountSink, ValueStateDescriptor, type StateBackendOption } from '../src/index.ts';

/**
 * Child process of the state-scale scenario's over-heap systems: a keyed count whose state (1M
 * keys, a record per key) exceeds the --max-old-space-size it is started with. Prints
 * `{"outputs":N,"keys":K}` when it completes; with too little heap V8 aborts it instead.
 */
const [backend, keysArg, eventsArg] = process.argv.slice(2);
const keys = Number(keysArg);
const events = Number(eventsArg);
const state = new ValueStateDescriptor<{ n: number; tag: string }>('count');
const env = StreamEnvironment.create({ stateBackend: backend as StateBackendOption });
const sink = new CountSink();
env
  .fromGenerator((i) => (i * 7919) % keys, { count: events })
  .keyBy((k) => k)
  .process<number>({
    processElement(k, ctx, out) {
      const s = ctx.getState(state);
      const n = (s.value()?.n ?? 0) + 1;
      s.update({ n, tag: `key-${k}-seen` });
      out.collect(n);
    },
  })
  .sinkTo(sink);
await env.execute('over-heap');
console.log(JSON.stringify({ outputs: sink.count, keys }));
