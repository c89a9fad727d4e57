/**
 * The monitoring example's metrics log: every host reports once a second (cpu, memory, request
 * latency, requests and errors). Some hosts go silent for two or more minutes; some have a
 * 90-second latency and error spike. Seeded: the same arguments give the same log.
 */
import { SeededRandom } from '../../src/index.ts';

/** One report of one host. `seq` is its position in the log. */
export interface Metric {
  seq: number;
  host: string;
  service: string;
  at: number;
  cpu: number;
  mem: number;
  latencyMs: number;
  requests: number;
  errors: number;
}

/** Size of a generated log. */
export interface LogShape {
  hosts: number;
  seconds: number;
  seed: number;
}

const SERVICES = ['api', 'web', 'db'];

/** The seconds in which host `h` sends nothing: every fifth host, once, for 120 or 200 s. */
export function silentSeconds(h: number, seconds: number): [number, number] | undefined {
  if (h % 5 !== 2) return undefined;
  const start = 240 + ((h * 67) % Math.max(1, seconds - 600));
  return [start, start + (h % 2 ? 120 : 200)];
}

/** The seconds of host `h`'s latency spike: every fourth host, once, for 90 s. */
export function spikeSeconds(h: number, seconds: number): [number, number] | undefined {
  if (h % 4 !== 1) return undefined;
  const start = 150 + ((h * 131) % Math.max(1, seconds - 400));
  return [start, start + 90];
}

/**
 * The whole log, in time order.
 * @example
 * ```ts
 * const log = metricsLog({ hosts: 10, seconds: 900, seed: 3 })
 * ```
 */
export function metricsLog(shape: LogShape): Metric[] {
  const r = new SeededRandom(shape.seed);
  const out: Metric[] = [];
  const quiet = Array.from({ length: shape.hosts }, (_, h) => silentSeconds(h, shape.seconds));
  const spikes = Array.from({ length: shape.hosts }, (_, h) => spikeSeconds(h, shape.seconds));
  for (let s = 0; s < shape.seconds; s++) {
    for (let h = 0; h < shape.hosts; h++) {
      const q = quiet[h];
      if (q && s >= q[0] && s < q[1]) continue;
      const p = spikes[h];
      const spike = p !== undefined && s >= p[0] && s < p[1];
      r.reset(s * shape.hosts + h);
      const requests = 50 + r.int(50);
      const latency = 15 + 40 * r.next() + (r.int(2_000) === 0 ? 400 : 0);
      out.push({
        seq: 0,
        host: `h${h}`,
        service: SERVICES[h % SERVICES.length]!,
        at: s * 1_000 + ((h * 37) % 1_000),
        cpu: Math.round(20 + 30 * r.next() + (spike ? 45 : 0)),
        mem: Math.round(40 + 20 * r.next()),
        latencyMs: Math.round((spike ? latency * 8 : latency) * 10) / 10,
        requests,
        errors: spike ? r.int(Math.ceil(requests * 0.2)) : r.int(100) < 2 ? 1 : 0,
      });
    }
  }
  out.sort((a, b) => a.at - b.at);
  out.forEach((m, i) => (m.seq = i));
  return out;
}
