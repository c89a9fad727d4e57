import { spawn } from 'node:child_process';
import { startNatsServer, type NatsServerHandle } from '../../test/support/nats-server.ts';
import type { ReceiverReport } from '../nats/stamped-trade.ts';
import type { Scenario, SystemRun } from '../scenario.ts';

/** A process's last output line: which roles ran there and, where records arrived, the receiver's report. */
type NodeReport = { source: boolean; sink: boolean; cpuSeconds: number } & Partial<ReceiverReport>;

/** Runs a command to its end and parses its last output line; `ready` resolves at a line `ready` (if printed). */
function node(args: string[], env: Record<string, string>, ready?: () => void): Promise<NodeReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d;
      if (ready && /^ready$/m.test(out)) {
        ready();
        ready = undefined;
      }
    });
    child.stderr.on('data', (d: Buffer) => (err = (err + d).slice(-4000)));
    child.on('close', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code === 0 && last.startsWith('{')) resolve(JSON.parse(last) as NodeReport);
      else reject(new Error(`${args.slice(0, 3).join(' ')} exited with ${code}: ${err}`));
    });
  });
}

/** What a pair reports: the receiving side's report and each process's CPU seconds. */
type PairReport = ReceiverReport & { senderCpuSeconds: number; receiverCpuSeconds: number };

/** Two processes of one system moving `events` records (at `rate` records/s when given). */
type Pair = (server: NatsServerHandle, events: number, rate: number | undefined) => Promise<PairReport>;

function pairReport(reports: NodeReport[], sender: number, receiver: number): PairReport {
  return { ...(reports[receiver] as ReceiverReport), senderCpuSeconds: reports[sender]!.cpuSeconds, receiverCpuSeconds: reports[receiver]!.cpuSeconds };
}

const weirPair: Pair = async (server, events, rate) => {
  const env = { EVENTS: String(events), ...(rate ? { RATE: String(Math.round(rate)) } : {}) };
  const args = (id: string) => ['bin/weir.js', 'run', 'bench/nats/map-job.ts', '--nats', server.url, '--node', id, '--nodes', 'a,b', '--subject-prefix', `bench${rate ? 'l' : 't'}`];
  const reports = await Promise.all([node(args('a'), env), node(args('b'), env)]);
  // The edge must really cross NATS: the generator ran in one process, the sink in the other.
  const sender = reports.findIndex((r) => r.source);
  const receiver = reports.findIndex((r) => r.sink);
  if (sender < 0 || receiver < 0 || sender === receiver) throw new Error(`source and sink must run on different processes, got ${JSON.stringify(reports.map((r) => ({ source: r.source, sink: r.sink })))}`);
  return pairReport(reports, sender, receiver);
};

const rawPair: Pair = async (server, events, rate) => {
  const env = { EVENTS: String(events), ...(rate ? { RATE: String(Math.round(rate)) } : {}) };
  const subject = `raw.${rate ? 'latency' : 'throughput'}`;
  let subscribed!: () => void;
  const ready = new Promise<void>((r) => (subscribed = r));
  const subscriber = node(['--import', 'tsx', 'bench/nats/raw-node.ts', 'subscribe', server.url, subject], env, subscribed);
  await Promise.race([ready, subscriber]);
  const reports = await Promise.all([subscriber, node(['--import', 'tsx', 'bench/nats/raw-node.ts', 'publish', server.url, subject], env)]);
  return pairReport(reports, 1, 0);
};

/** Nothing lost, nothing duplicated: every id 0…n−1 arrived once (count and sum). */
function check(report: ReceiverReport, events: number, what: string): void {
  const idSum = (events * (events - 1)) / 2;
  if (report.count !== events || report.idSum !== idSum) throw new Error(`${what}: received ${report.count} records with id sum ${report.idSum}, expected ${events} and ${idSum}`);
}

const ms = (us: number) => Math.round(us / 10) / 100;

/**
 * Throughput from the first to the last record received (process start-up excluded, for both
 * systems alike), then a second run at half that rate with records stamped at generation, for the
 * end-to-end latency (generation → NATS → map → sink).
 */
function measured(pair: Pair): SystemRun {
  return async (events) => {
    await using server = await startNatsServer({ jetstream: false });
    const wallStart = performance.now();
    const throughput = await pair(server, events, undefined);
    const wallSeconds = (performance.now() - wallStart) / 1000;
    check(throughput, events, 'throughput run');
    const seconds = (throughput.lastAt - throughput.firstAt) / 1000;
    const maxRate = events / seconds;
    const rate = maxRate / 2;
    // About four seconds at half speed: long enough for stable percentiles, short for the bench.
    const latencyEvents = Math.max(10_000, Math.min(events, Math.round(rate * 4)));
    const latency = await pair(server, latencyEvents, rate);
    check(latency, latencyEvents, 'latency run');
    if (/slow consumer/i.test(server.logTail())) throw new Error(`the server reported a slow consumer:\n${server.logTail().slice(-2000)}`);
    return {
      handled: throughput.count,
      // The throughput run's (id, mapped price) pairs: the latency run's size depends on the measured rate.
      digest: throughput.result,
      seconds,
      extra: {
        wallSecondsWithStartup: Math.round(wallSeconds * 100) / 100,
        // CPU seconds of each process in the throughput run (start-up included): steadier than rates on a busy machine.
        senderCpuSeconds: throughput.senderCpuSeconds,
        receiverCpuSeconds: throughput.receiverCpuSeconds,
        latencyRate: Math.round(rate),
        latencyRecords: latencyEvents,
        p50LatencyMs: ms(latency.p50Us),
        p99LatencyMs: ms(latency.p99Us),
        maxLatencyMs: ms(latency.maxUs),
      },
    };
  };
}

/**
 * nats-map: generated trades on one process → NATS (loopback) → map → counting sink on another.
 * `weir` runs the job on two `weir run --nats` processes; `nats-raw` moves the same records with
 * plain nats.js + msgpackr in 1024-record batches under the same credit flow control.
 */
export const natsMap: Scenario = {
  name: 'nats-map',
  events: 10_000_000,
  quickEvents: 2_000_000,
  note: 'records/s from first to last record received (start-up excluded); p50/p99 end-to-end latency at half that rate',
  systems: { weir: measured(weirPair), 'nats-raw': measured(rawPair) },
  coldSystems: ['weir', 'nats-raw'],
};
