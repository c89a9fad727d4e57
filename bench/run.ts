import { execFileSync, spawn } from 'node:child_process';
import cliProgress from 'cli-progress';
import { writeNexmarkReport } from './nexmark/report.ts';
import { stateScaleRatios, writeStateScaleChart } from './state-scale-chart.ts';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import { Command } from 'commander';
import { scenarios } from './scenarios/index.ts';
import type { BenchRow } from './scenario.ts';
import { checkResults } from './result-check.ts';
import { roundRatios, type RoundRatio } from './round-ratios.ts';

/**
 * `npm run bench [-- <scenario>...] [--quick]`: runs each system of each scenario in its own
 * process, one after another, and writes every row plus ratios to bench/results/latest.json.
 */
const program = new Command()
  .name('bench')
  .argument('[scenarios...]', 'scenario names (default: all)')
  .option('--quick', 'reduced sizes (every scenario together stays under 5 minutes)')
  .option('--events <n>', 'events per scenario (overrides the defaults)')
  .option('--repeat <n>', 'runs per system, interleaved; each row is the median run (default 3, 1 with --quick)')
  .option('--queries <list>', 'with `nexmark`: only these queries, e.g. q1,q5')
  .option('--sql', 'with `nexmark`: only the queries written in SQL, as weir-sql against weir (the DataStream version)')
  .option('--systems <list>', 'only these systems of each scenario, e.g. weir,hand-loop (what the others cost is not waited for)')
  .parse();
const names = program.args;
const opts = program.opts<{ quick?: boolean; events?: string; queries?: string; repeat?: string; sql?: boolean; systems?: string }>();
const wantedSystems = opts.systems?.split(',').map((x) => x.trim());
// One run per system is at the mercy of whatever else the machine does in those seconds; the
// median of interleaved runs is not (each system gets the same share of good and bad moments).
const repeat = Math.max(1, Math.floor(Number(opts.repeat ?? (opts.quick ? 1 : 3))) || 1);
const unknown = names.filter((n) => !scenarios.some((s) => s.name === n) && n !== 'nexmark');
if (unknown.length) {
  console.error(`unknown scenario(s): ${unknown.join(', ')}; known: nexmark, ${scenarios.map((s) => s.name).join(', ')}`);
  process.exit(2);
}
const wantedQueries = opts.queries?.split(',').map((q) => `nexmark-${q.trim()}`);
const selected = scenarios.filter((s) => {
  if (wantedQueries && s.name.startsWith('nexmark-q') && !wantedQueries.includes(s.name)) return false;
  if (opts.sql && !s.systems['weir-sql']) return false;
  return names.length === 0 || names.includes(s.name) || (names.includes('nexmark') && s.name.startsWith('nexmark'));
});
const systemsOf = (s: (typeof scenarios)[number]) => Object.keys(s.systems).filter((x) => (!opts.sql || x === 'weir' || x === 'weir-sql') && (!wantedSystems || wantedSystems.includes(x)));
const rows: BenchRow[] = [];
/** Per-round ratios (median and spread by wall, cpu and main-thread cpu) of every scenario run. */
const roundRatiosOf: RoundRatio[] = [];
/** Scenarios whose systems computed different results: no ratio is written for them. */
const mismatched = new Set<string>();
const tty = process.stdout.isTTY === true;
for (const s of selected) {
  const events = opts.events ? Number(opts.events) : opts.quick ? s.quickEvents : s.events;
  const runs = new Map<string, BenchRow[]>();
  for (let round = 0; round < repeat; round++) {
    for (const system of systemsOf(s)) {
      const label = `${s.name.padEnd(18)} ${system.padEnd(12)}${repeat > 1 ? ` (${round + 1}/${repeat})` : ''}`;
      const row = await runOne(label, s.name, system, events);
      if (!row) {
        process.exitCode = 1;
        continue;
      }
      runs.set(system, [...(runs.get(system) ?? []), row]);
      const latency = row.extra?.p99LatencyMs !== undefined ? `, p99 latency ${row.extra.p99LatencyMs} ms` : '';
      console.log(`${label} ${row.events.toLocaleString('en')} events: ${row.eventsPerSec.toLocaleString('en')} ev/s, ${row.seconds}s, rss peak ${row.rssPeakMb} MB (start ${row.rssStartMb})${latency}`);
    }
  }
  const { equal, differ } = checkResults(s, runs);
  for (const line of equal) console.log(`${s.name.padEnd(18)} ${line}`);
  if (differ.length) {
    process.exitCode = 1;
    mismatched.add(s.name);
    console.error(`\n!!! ${s.name}: THE SYSTEMS' RESULTS DIFFER, its ratios are not written:\n${differ.map((d) => `  ${d}`).join('\n')}\n`);
  }
  const summary = s.summarize?.(runs);
  for (const [system, all] of runs) {
    const row = medianRun(all);
    rows.push(summary?.[system] ? { ...row, extra: { ...row.extra, ...summary[system] } } : row);
  }
  if (!differ.length) roundRatiosOf.push(...weirAgainstBaselines(s.name, Object.keys(s.systems), runs, s.coldSystems ?? []));
}

/** The run of median throughput, with every run's seconds in `extra.runSeconds` (space-separated, in run order). */
function medianRun(all: BenchRow[]): BenchRow {
  const sorted = [...all].sort((a, b) => a.eventsPerSec - b.eventsPerSec);
  const median = sorted[(sorted.length - 1) >> 1]!;
  return all.length === 1 ? median : { ...median, extra: { ...median.extra, runSeconds: all.map((r) => r.seconds).join(' ') } };
}

/** Runs one system in a fresh process; shows a progress bar (TTY) while it reports `@progress n` on stderr. */
function runOne(label: string, scenario: string, system: string, events: number): Promise<BenchRow | undefined> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run-one.ts', scenario, system, String(events)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const bar = tty ? new cliProgress.SingleBar({ format: `${label} [{bar}] {percentage}% {rate} ev/s`, hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic) : undefined;
    if (!tty) console.log(`${label} ${events.toLocaleString('en')} events …`);
    const started = performance.now();
    bar?.start(events, 0, { rate: '-' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      const text = d.toString();
      for (const line of text.split('\n')) {
        const m = /^@progress (\d+)$/.exec(line);
        if (m) bar?.update(Number(m[1]), { rate: Math.round(Number(m[1]) / ((performance.now() - started) / 1000)).toLocaleString('en') });
        else if (line) stderr += line + '\n';
      }
    });
    child.on('close', (code) => {
      bar?.stop();
      const last = stdout.trim().split('\n').pop() ?? '';
      if (code !== 0 || !last.startsWith('{')) {
        console.log(`${label} FAILED`);
        console.error(stderr.slice(-2000));
        resolve(undefined);
        return;
      }
      resolve(JSON.parse(last) as BenchRow);
    });
  });
}

const ratios = selected.filter((s) => !mismatched.has(s.name)).flatMap((s) => {
  const of = (system: string) => rows.find((r) => r.scenario === s.name && r.system === system);
  // Ratios of every Weir variant against every baseline measured in the same run.
  const weirs = Object.keys(s.systems).filter((x) => x.startsWith('weir') && of(x));
  const bases = Object.keys(s.systems).filter((x) => of(x) && (!x.startsWith('weir') || x === 'weir-none' || x === 'weir-off' || (x === 'weir' && of('weir-sql') !== undefined)));
  // SQL and DataStream versions of a query must compute the same result.
  if (of('weir-sql') && of('weir') && of('weir')!.extra?.updating === undefined && of('weir-sql')!.extra?.outputs !== of('weir')!.extra?.outputs) {
    console.error(`${s.name}: weir-sql produced ${of('weir-sql')!.extra?.outputs} outputs, weir ${of('weir')!.extra?.outputs}`);
    process.exitCode = 1;
  }
  // On a busy machine CPU seconds of the process are steadier than wall time: the same ratio from them.
  const cpuRatio = of('weir-sql') && of('weir') ? Math.round((Number(of('weir')!.extra?.cpuSeconds) / Number(of('weir-sql')!.extra?.cpuSeconds)) * 100) / 100 : undefined;
  return [
    ...weirs.flatMap((w) => bases.filter((b) => b !== w).map((b) => ({ scenario: s.name, ratio: `${w}/${b}`, value: Math.round((of(w)!.eventsPerSec / of(b)!.eventsPerSec) * 100) / 100 }))),
    ...(cpuRatio === undefined ? [] : [{ scenario: s.name, ratio: 'weir-sql/weir by cpu', value: cpuRatio }]),
  ];
});
// Issue 4's slice-sharing target: a sliding window (5 windows per record) costs at most 1.5x a tumbling one per event.
const weirOf = (scenario: string) => rows.find((r) => r.scenario === scenario && r.system === 'weir');
const sliding = weirOf('sliding-count');
const tumbling = weirOf('tumbling-count');
if (sliding && tumbling) ratios.push({ scenario: 'sliding-count', ratio: 'weir cost/tumbling-count weir cost', value: Math.round((tumbling.eventsPerSec / sliding.eventsPerSec) * 100) / 100 });
ratios.push(...stateScaleRatios(rows));
for (const r of ratios) console.log(`${r.scenario.padEnd(16)} ${r.ratio.padEnd(18)} ${r.value}×`);
for (const r of roundRatiosOf) console.log(`${r.scenario.padEnd(16)} ${r.ratio.padEnd(40)} median ${r.value}× (rounds ${r.low}–${r.high}, n=${r.rounds})`);

mkdirSync('bench/results', { recursive: true });
const path = 'bench/results/latest.json';
const previous = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as { rows: BenchRow[]; ratios?: typeof ratios }) : { rows: [], ratios: [] };
const ran = new Set(selected.map((s) => s.name));
const result = {
  machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, memGb: Math.round(os.totalmem() / 1e9), node: process.version, platform: `${os.platform()} ${os.release()}`, commit: gitCommit(), at: new Date().toISOString(), quick: Boolean(opts.quick) },
  rows: [...previous.rows.filter((r) => !ran.has(r.scenario)), ...rows],
  ratios: [...(previous.ratios ?? []).filter((r) => !ran.has(r.scenario)), ...ratios],
  roundRatios: [...((previous as { roundRatios?: RoundRatio[] }).roundRatios ?? []).filter((r) => !ran.has(r.scenario)), ...roundRatiosOf],
};
writeFileSync(path, JSON.stringify(result, null, 2) + '\n');
console.log(`wrote ${path}`);
if (selected.some((s) => s.name === 'state-scale')) console.log(`wrote ${writeStateScaleChart(rows)}`);
if (selected.some((s) => s.name.startsWith('nexmark-q'))) for (const written of writeNexmarkReport(result.rows, result.machine)) console.log(`wrote ${written}`);

/** Every Weir variant against every baseline of the scenario, round by round (see `roundRatios`). */
function weirAgainstBaselines(scenario: string, systems: string[], runs: Map<string, BenchRow[]>, cold: string[]): RoundRatio[] {
  const weirs = systems.filter((x) => x.startsWith('weir') && runs.has(x));
  const bases = systems.filter((x) => runs.has(x) && (!x.startsWith('weir') || x === 'weir-none' || x === 'weir-off' || (x === 'weir' && runs.has('weir-sql'))));
  // A system in processes of its own: the bench process's CPU is not its CPU.
  return weirs.flatMap((w) => bases.filter((b) => b !== w).flatMap((b) => roundRatios(scenario, w, b, runs, cold.includes(w) || cold.includes(b))));
}

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}
if (mismatched.size) {
  console.error(`FAILED: the systems of ${[...mismatched].join(', ')} computed different results (see above)`);
  process.exitCode = 1;
}
