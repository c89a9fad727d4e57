import { SeededRandom } from '../../src/connectors/seeded-random.ts';

/** The chaos suite's scenarios; trial seed `s` runs `SCENARIOS[s % SCENARIOS.length]`. */
export const SCENARIOS = ['keyed-windows', 'join', 'file-2pc', 'postgres', 'jetstream', 'keyed-state'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

/** True for the scenarios that run as several `weir run --nats` node processes. */
export const isDistributed = (s: ScenarioName): boolean => s === 'file-2pc' || s === 'postgres' || s === 'jetstream';

/** Where an in-job fault strikes: a user function (a keyed process function's `processElement` or `onTimer`), or the sink's two-phase-commit steps. */
export type FaultSite = 'map' | 'key-selector' | 'aggregate' | 'window-function' | 'join-function' | 'process-function' | 'on-timer' | 'pre-commit' | 'commit';

/**
 * One fault of a trial. In-job faults (`throw`, `kill-self`, `slow-sink`, `stall-sink`) run inside the job (the
 * trial's process, or the node `node`), counted in calls of their site; the harness's faults (`sigkill-node`,
 * `pause-node`, `restart-nats`) strike once the job completed `afterCheckpoints` checkpoints.
 */
export type Fault =
  /** An exception in the user function (or sink step) at its `nth` call. */
  | { kind: 'throw'; node: number; site: FaultSite; nth: number }
  /** SIGKILL of the node process from inside, at the `nth` call of `site`: mid-firing, mid-checkpoint (pre-commit), mid-commit. */
  | { kind: 'kill-self'; node: number; site: 'window-function' | 'pre-commit' | 'commit'; nth: number; afterInner: boolean }
  /** A slow consumer: `batches` sink writes from the `nth` each take `delayMs` longer. */
  | { kind: 'slow-sink'; node: number; nth: number; batches: number; delayMs: number }
  /** A stalled consumer: the `nth` sink write waits `stallMs`. */
  | { kind: 'stall-sink'; node: number; nth: number; stallMs: number }
  | { kind: 'sigkill-node'; node: number; afterCheckpoints: number }
  /** SIGSTOP, then SIGCONT `pauseMs` later: past the cluster's 5 s heartbeat timeout, so the others count it lost. */
  | { kind: 'pause-node'; node: number; afterCheckpoints: number; pauseMs: number }
  /** nats-server stopped and started again on its port with its JetStream store. */
  | { kind: 'restart-nats'; afterCheckpoints: number };

export type FaultKind = Fault['kind'];

/** What a trial runs: its scenario, fault schedule, and how the job recovers from an exception. */
export interface TrialPlan {
  seed: number;
  scenario: ScenarioName;
  /** In-process scenarios: 'actor' restarts the failed actor (tier 1); 'job' rolls the job back to its checkpoint (tier 2). */
  recovery: 'actor' | 'job';
  faults: Fault[];
}

/** The scenario a trial seed runs. */
export const scenarioOf = (seed: number): ScenarioName => SCENARIOS[((seed % SCENARIOS.length) + SCENARIOS.length) % SCENARIOS.length]!;

/** Node processes of a distributed scenario. */
export const nodesOf = (s: ScenarioName): number => (s === 'jetstream' ? 3 : 2);

/**
 * The fault schedule of a trial: a pure function of the seed (and so of its scenario), so
 * `npm run chaos -- --replay <seed>` injects the same faults at the same points.
 */
export function drawSchedule(seed: number): TrialPlan {
  const scenario = scenarioOf(seed);
  const r = new SeededRandom(0x5eed ^ seed);
  r.reset(seed);
  const pick = <T>(xs: readonly T[]): T => xs[r.int(xs.length)]!;
  const faults: Fault[] = [];
  if (!isDistributed(scenario)) {
    const sites: FaultSite[] =
      scenario === 'join' ? ['map', 'key-selector', 'join-function', 'commit'] : scenario === 'keyed-state' ? ['map', 'key-selector', 'process-function', 'on-timer', 'commit'] : ['map', 'key-selector', 'aggregate', 'window-function', 'commit'];
    const n = 1 + r.int(3);
    for (let i = 0; i < n; i++) {
      const roll = r.int(10);
      if (roll < 7) {
        const site = pick(sites);
        // Record-level sites count records, the others calls (firings, commits).
        const nth = site === 'commit' ? 1 + r.int(4) : site === 'window-function' || site === 'join-function' || site === 'on-timer' ? 1 + r.int(300) : 1 + r.int(scenario === 'join' ? 9_000 : 50_000);
        faults.push({ kind: 'throw', node: 0, site, nth });
      } else if (roll < 9) faults.push({ kind: 'slow-sink', node: 0, nth: 1 + r.int(20), batches: 1 + r.int(20), delayMs: 5 + r.int(30) });
      else faults.push({ kind: 'stall-sink', node: 0, nth: 1 + r.int(20), stallMs: 200 + r.int(800) });
    }
    return { seed, scenario, recovery: r.int(2) === 0 ? 'actor' : 'job', faults };
  }
  const nodes = nodesOf(scenario);
  // One node lost per trial at most (two-node scenarios need a survivor), plus lighter faults.
  const loss = r.int(6);
  const victim = r.int(nodes);
  if (loss === 0 || loss === 1) {
    const site = pick(['window-function', 'pre-commit', 'commit'] as const);
    faults.push({ kind: 'kill-self', node: victim, site, nth: site === 'window-function' ? 1 + r.int(60) : 1 + r.int(4), afterInner: r.int(2) === 0 });
  } else if (loss === 2) faults.push({ kind: 'sigkill-node', node: victim, afterCheckpoints: 1 + r.int(4) });
  else if (loss === 3) faults.push({ kind: 'pause-node', node: victim, afterCheckpoints: 1 + r.int(4), pauseMs: 5_500 + r.int(2_000) });
  else if (loss === 4) faults.push({ kind: 'restart-nats', afterCheckpoints: 1 + r.int(4) });
  const extra = r.int(3);
  for (let i = 0; i < extra; i++) {
    const roll = r.int(4);
    const node = r.int(nodes);
    if (roll === 0) faults.push({ kind: 'throw', node, site: pick(['map', 'key-selector', 'aggregate', 'window-function'] as const), nth: 1 + r.int(8_000) });
    else if (roll === 1) faults.push({ kind: 'slow-sink', node, nth: 1 + r.int(10), batches: 1 + r.int(10), delayMs: 10 + r.int(40) });
    else if (roll === 2) faults.push({ kind: 'stall-sink', node, nth: 1 + r.int(10), stallMs: 300 + r.int(1_200) });
    else if (!faults.some((f) => f.kind === 'restart-nats')) faults.push({ kind: 'restart-nats', afterCheckpoints: 1 + r.int(6) });
  }
  // Every trial strikes at least once.
  if (faults.length === 0) faults.push({ kind: 'throw', node: r.int(nodes), site: pick(['map', 'aggregate', 'window-function'] as const), nth: 1 + r.int(200) });
  return { seed, scenario, recovery: 'job', faults };
}

/** A fault in one line, for reports and failure messages. */
export function describeFault(f: Fault): string {
  const { kind, ...rest } = f;
  return `${kind}(${Object.entries(rest).map(([k, v]) => `${k}=${v}`).join(',')})`;
}
