import { Command } from 'commander';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { writeFileSync } from 'node:fs';
import { drawSchedule, describeFault, scenarioOf, SCENARIOS, type ScenarioName } from '../test/chaos/schedule.ts';
import { runPlan } from '../test/chaos/trials.ts';
import { passed, type TrialResult } from '../test/chaos/trial.ts';
import { writeResults, markdownTable, summarize } from '../test/chaos/report.ts';

/**
 * `npm run chaos -- --trials N --seed S`: N randomised fault-injection trials, seeds S…S+N-1 (a
 * seed picks its scenario and fault schedule); results to bench/results/chaos.{json,md}.
 * `npm run chaos -- --replay <seed>` runs one trial again with the same schedule.
 */
const program = new Command()
  .name('chaos')
  .option('--trials <n>', 'number of trials', '200')
  .option('--seed <s>', 'seed of the first trial', '1')
  .option('--replay <seed>', 'run the trial of this seed again (same scenario, same fault schedule); writes no results')
  .option('--scenario <name>', `only trials of this scenario (${SCENARIOS.join(', ')})`)
  .option('--concurrency <n>', 'trials run at once (each has its own nats-server, directories and tables)', '1')
  .option('--out <dir>', 'results directory', join(import.meta.dirname, '..', 'bench', 'results'))
  .parse();
const opts = program.opts<{ trials: string; seed: string; concurrency: string; replay?: string; scenario?: string; out: string }>();
const int = (flag: string, v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n)) program.error(`${flag} must be an integer, got '${v}'`);
  return n;
};
if (opts.scenario && !SCENARIOS.includes(opts.scenario as ScenarioName)) program.error(`--scenario must be one of ${SCENARIOS.join(', ')}, got '${opts.scenario}'`);

function show(i: number, r: TrialResult): void {
  const d = r.difference;
  const line = `${passed(r) ? 'ok  ' : 'FAIL'} trial ${i} seed ${r.plan.seed} ${r.plan.scenario.padEnd(13)} ${(r.wallMs / 1000).toFixed(1).padStart(5)} s  lost ${d.lost} duplicated ${d.duplicated} unexpected ${d.unexpected}  recovery ${r.recoveryMs.map((x) => `${x} ms`).join(',') || '-'}  injected ${r.injected.map((x) => x.fault.kind).join(',') || '-'}`;
  console.log(line);
  if (!passed(r)) {
    console.log(`  seed ${r.plan.seed}, scenario ${r.plan.scenario}, recovery by ${r.plan.recovery}; fault schedule:\n${r.plan.faults.map((f) => `    ${describeFault(f)}`).join('\n')}`);
    console.log(`  examples: ${JSON.stringify(d.examples)}`);
    if (r.error) console.log(`  ${r.error.split('\n').slice(0, 200).join('\n  ')}`);
    else if (r.logs) console.log(r.logs.split('\n').slice(-200).join('\n'));
    const file = join(tmpdir(), `weir-chaos-seed-${r.plan.seed}.log`);
    writeFileSync(file, `${JSON.stringify(r.plan)}\n${JSON.stringify(r.difference)}\n${r.error ?? ''}\n${r.logs ?? ''}\n`);
    console.log(`  full output: ${file}`);
    console.log(`  reproduce: npm run chaos -- --replay ${r.plan.seed}`);
  }
}

if (opts.replay !== undefined) {
  const seed = int('--replay', opts.replay);
  const plan = drawSchedule(seed);
  console.log(`replaying seed ${seed}: ${plan.scenario}, recovery by ${plan.recovery}, faults ${plan.faults.map(describeFault).join(' ')}`);
  const r = await runPlan(plan);
  show(0, r);
  process.exitCode = passed(r) ? 0 : 1;
} else {
  const trials = int('--trials', opts.trials);
  const first = int('--seed', opts.seed);
  const seeds: number[] = [];
  for (let s = first; seeds.length < trials; s++) if (!opts.scenario || scenarioOf(s) === opts.scenario) seeds.push(s);
  const results: TrialResult[] = [];
  const started = Date.now();
  const concurrency = Math.max(1, int('--concurrency', opts.concurrency));
  let next = 0;
  const worker = async () => {
    while (next < seeds.length) {
      const seed = seeds[next++]!;
      const r = await runPlan(drawSchedule(seed));
      results.push(r);
      results.sort((a, b) => a.plan.seed - b.plan.seed);
      show(results.length, r);
      // Written after every trial: a long run stopped early still leaves its results.
      writeResults(opts.out, results, first, { command: process.argv.slice(2).join(' '), date: new Date().toISOString(), wallS: Math.round((Date.now() - started) / 1000), complete: results.length === seeds.length });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  console.log(markdownTable(summarize(results, first)));
  const failed = results.filter((r) => !passed(r));
  console.log(failed.length === 0 ? `all ${results.length} trials passed` : `${failed.length} of ${results.length} trials failed: seeds ${failed.map((r) => r.plan.seed).join(' ')}`);
  process.exitCode = failed.length === 0 ? 0 : 1;
}
