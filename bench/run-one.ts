import { scenarios } from './scenarios/index.ts';
import { warmupEvents, type BenchRow } from './scenario.ts';
import { mainThreadCpuSeconds } from './round-ratios.ts';

/**
 * Runs one system of one scenario in this process and prints its row as JSON on the last line.
 * Each system gets a fresh process so JIT state and heap of one do not colour another. A warm-up
 * run of a tenth of the events comes first (unless the system starts its own processes), so every
 * system is measured in its steady state, not while V8 still compiles its code (a scenario may ask
 * for several warm-up runs: see `Scenario.warmupRuns`).
 */
const [scenarioName, system, eventsArg] = process.argv.slice(2);
const scenario = scenarios.find((s) => s.name === scenarioName);
if (!scenario || !scenario.systems[system!]) {
  console.error(`unknown scenario/system: ${scenarioName}/${system}`);
  process.exit(2);
}
const events = Number(eventsArg);
if (!scenario.coldSystems?.includes(system!)) {
  for (let run = 0; run < (scenario.warmupRuns ?? 1); run++) await scenario.systems[system!]!((scenario.warmupEvents ?? warmupEvents)(events));
}
const rssStart = process.memoryUsage.rss();
let rssPeak = rssStart;
const sampler = setInterval(() => {
  rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
}, 20);
const cpuStart = process.cpuUsage();
const mainStart = mainThreadCpuSeconds();
const started = performance.now();
const result = await scenario.systems[system!]!(events);
const handled = typeof result === 'number' ? result : result.handled;
if (typeof result === 'number' || typeof result.digest !== 'string') {
  console.error(`${scenario.name}/${system} reports no result digest: return { handled, digest: ResultDigest.toString() } so its result can be compared with the other systems'`);
  process.exit(3);
}
const seconds = typeof result === 'object' && result.seconds !== undefined ? result.seconds : (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuStart);
const mainEnd = mainThreadCpuSeconds();
clearInterval(sampler);
rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
const processed = typeof result === 'object' && result.events !== undefined ? result.events : events;
const row: BenchRow = {
  scenario: scenario.name,
  system: system!,
  events: processed,
  seconds: round(seconds, 3),
  eventsPerSec: Math.round(processed / seconds),
  rssPeakMb: round(rssPeak / 1e6, 1),
  rssStartMb: round(rssStart / 1e6, 1),
  // CPU seconds of this process (all threads) for the measured run: steadier than wall time on a busy machine.
  // Its main thread's share (no worker threads, no waiting for a core): see `mainThreadCpuSeconds`.
  extra: { handled, cpuSeconds: round((cpu.user + cpu.system) / 1e6, 3), ...(mainStart !== undefined && mainEnd !== undefined ? { mainCpuSeconds: round(mainEnd - mainStart, 3) } : {}), ...result.extra, result: result.digest },
};
console.log(JSON.stringify(row));
process.exit(0);

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
