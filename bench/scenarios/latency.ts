import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { startNatsServer, type NatsServerHandle } from '../../test/support/nats-server.ts';
import type { Scenario, SystemRun } from '../scenario.ts';
import type { ReceiverFigures } from '../latency/keyed-receiver.ts';
import { handLoop, weirEmbedded, type Pipeline } from '../latency/pipelines.ts';
import { startProcess } from '../latency/processes.ts';
import { medianFigures, printLatencyTable } from '../latency/summary.ts';

/** Records of an in-process system's max-rate run, per event of the scenario. */
const EMBEDDED_FACTOR = 4;

/** Shares of the measured maximum rate the pipeline is fed at. */
const LOADS = [0.1, 0.5, 0.9] as const;
/**
 * And one fixed low rate, the same for every system and run: it needs well under 1% of a core, so
 * it shows the latency a record sees when nothing queues (pacing, hops, flushes) even on a machine
 * too busy for the measured maximum to mean much.
 */
const LOW_RATE = 2_000;

/**
 * The rate the loads are shares of: each Weir system's maximum, measured in the same run and left
 * here for its hand-written counterpart (which runs next in every round), so both are fed the same
 * absolute rates. A baseline run alone uses its own maximum.
 */
const basisFile = (mode: string) => join(os.tmpdir(), `weir-bench-latency-basis-${mode}.json`);

type NatsPair = (server: NatsServerHandle, count: number, rate: number | undefined, warmupIds: number, run: number) => Promise<ReceiverFigures>;

const env = (count: number, rate: number | undefined, warmupIds: number): Record<string, string> => ({ COUNT: String(count), WARMUP_IDS: String(warmupIds), ...(rate ? { RATE: String(rate) } : {}) });

/** Weir over NATS: two `weir run --nats` processes, the source on one, the keyed reduce and the sink on the other. */
const weirPair: NatsPair = async (server, count, rate, warmupIds, run) => {
  const args = (id: string) => ['bin/weir.js', 'run', 'bench/latency/keyed-job.ts', '--status', 'off', '--nats', server.url, '--node', id, '--nodes', 'a,b', '--subject-prefix', `lat${run}`];
  const reports = await Promise.all(['a', 'b'].map((id) => startProcess(args(id), { ...env(count, rate, warmupIds), NATS_URL: server.url, READY_SUBJECT: `lat${run}.ready` }).result));
  const sender = reports.findIndex((r) => r.source === true);
  const receiver = reports.findIndex((r) => r.sink === true);
  if (sender < 0 || receiver < 0 || sender === receiver) throw new Error(`source and sink must run on different processes, got ${JSON.stringify(reports.map((r) => ({ source: r.source, sink: r.sink })))}`);
  return reports[receiver] as unknown as ReceiverFigures;
};

/** The same pipeline by hand: a nats.js publisher process and a subscriber process. */
const rawPair: NatsPair = async (server, count, rate, warmupIds, run) => {
  const subject = `rawlat.${run}`;
  const subscriber = startProcess(['--import', 'tsx', 'bench/latency/raw-keyed-node.ts', 'subscribe', server.url, subject], env(count, rate, warmupIds));
  await Promise.race([subscriber.waitFor(/^ready$/), subscriber.result]);
  const publisher = startProcess(['--import', 'tsx', 'bench/latency/raw-keyed-node.ts', 'publish', server.url, subject], env(count, rate, warmupIds));
  const [figures] = await Promise.all([subscriber.result, publisher.result]);
  return figures as unknown as ReceiverFigures;
};

const ms = (us: number) => Math.round(us / 10) / 100;

/**
 * One system: first as fast as it goes on `events` records (its maximum rate, from the first to
 * the last output; the digest of that run is the one compared between systems), then fed by the
 * open-loop schedule at 10%, 50% and 90% of the basis rate (and a fixed low rate) for a few seconds
 * each, recording the latency of every output after the first second.
 */
function measured(mode: 'embedded' | 'nats', pipeline: { embedded?: Pipeline; pair?: NatsPair }, ownsBasis: boolean): SystemRun {
  return async (events) => {
    const server = mode === 'nats' ? await startNatsServer({ jetstream: false }) : undefined;
    try {
      let run = 0;
      const once: Pipeline = (count, rate, warmupIds) => (server ? pipeline.pair!(server, count, rate, warmupIds, run++) : pipeline.embedded!(count, rate, warmupIds));
      // In-process systems are warmed up once (V8); each NATS run starts fresh processes anyway.
      if (!server) await once(Math.min(events, 200_000), undefined, 0);
      // In one process the pipeline runs a few times faster than over NATS: four times the records
      // there, so its maximum too is measured over a second or more, not a burst between two GCs.
      const maxRecords = server ? events : events * EMBEDDED_FACTOR;
      const max = await once(maxRecords, undefined, 0);
      if (max.count !== maxRecords) throw new Error(`max-rate run: ${max.count} outputs, expected ${maxRecords}`);
      const seconds = (max.lastAt - max.firstAt) / 1000;
      const maxRate = maxRecords / seconds;
      let basis = maxRate;
      let basisOf = 'own';
      if (ownsBasis) writeFileSync(basisFile(mode), JSON.stringify({ rate: maxRate, at: Date.now() }));
      else if (existsSync(basisFile(mode))) {
        const saved = JSON.parse(readFileSync(basisFile(mode), 'utf8')) as { rate: number; at: number };
        // Only a basis from this bench run (the Weir system runs just before in the same round).
        if (Date.now() - saved.at < 10 * 60_000) ((basis = saved.rate), (basisOf = 'weir'));
      }
      // The first second of each run is not recorded: both processes start with cold code (and
      // over NATS the first credits), and on a busy machine the backlog of that second takes a
      // while to drain. Three seconds are recorded after it (two with --quick).
      const levelSeconds = events >= 1_000_000 ? 4 : 3;
      const extra: Record<string, number | string> = { maxRate: Math.round(maxRate), rateBasis: basisOf, load1: Math.round(os.loadavg()[0]! * 10) / 10 };
      for (const load of [...LOADS, 'low' as const]) {
        const rate = load === 'low' ? LOW_RATE : Math.round(basis * load);
        const count = Math.max(2_000, Math.round(rate * levelSeconds));
        const figures = await once(count, rate, rate);
        if (figures.count !== count) throw new Error(`run at ${rate}/s: ${figures.count} outputs, expected ${count}`);
        const at = load === 'low' ? 'Low' : `${Math.round(load * 100)}`;
        Object.assign(extra, { [`rate${at}`]: rate, [`p50Ms${at}`]: ms(figures.p50Us), [`p99Ms${at}`]: ms(figures.p99Us), [`p999Ms${at}`]: ms(figures.p999Us), [`maxMs${at}`]: ms(figures.maxUs) });
      }
      // What run.ts prints on the row's line: p99 at half load, the target.
      extra.p99LatencyMs = extra.p99Ms50!;
      return { handled: max.count, digest: max.result, seconds, events: maxRecords, extra };
    } finally {
      await server?.stop();
    }
  };
}

/**
 * latency: paced trades → map → keyBy → running count and sum → sink, end-to-end latency per
 * output (intended send time → sink, so no coordinated omission) at 10/50/90% of the maximum rate.
 * `weir` and `hand-loop` run in one process; `weir-nats` on two `weir run --nats` processes (every
 * record crosses a real nats-server) and `nats-raw` the same pipeline on plain nats.js.
 */
export const latency: Scenario = {
  name: 'latency',
  events: 1_000_000,
  quickEvents: 300_000,
  note: "p50/p99/p999 end-to-end latency (ms) at 10/50/90% of the Weir system's maximum rate (extra.p99Ms50 &c.) and at a fixed 2,000/s (p99MsLow &c.); eventsPerSec is the maximum (in-process systems: over 4× the records)",
  systems: {
    weir: measured('embedded', { embedded: weirEmbedded }, true),
    'hand-loop': measured('embedded', { embedded: handLoop }, false),
    'weir-nats': measured('nats', { pair: weirPair }, true),
    'nats-raw': measured('nats', { pair: rawPair }, false),
  },
  coldSystems: ['weir', 'hand-loop', 'weir-nats', 'nats-raw'],
  // The in-process systems' max-rate runs have more records (EMBEDDED_FACTOR), so another digest.
  resultGroups: [['weir', 'hand-loop'], ['weir-nats', 'nats-raw']],
  summarize: (runs) => {
    const summary = medianFigures(runs, /^(rate|p50Ms|p99Ms|p999Ms|maxMs)(\d+|Low)$|^maxRate$|^load1$/);
    printLatencyTable(summary, Math.max(...[...runs.values()].map((r) => r.length)));
    return summary;
  },
};
