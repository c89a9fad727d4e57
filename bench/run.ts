import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import { Command } from 'commander';
import { scenarios } from './scenarios/index.ts';
import type { BenchRow } from './scenario.ts';

/**
 * `npm run bench [-- <scenario>...] [--quick]`: runs each system of each scenario in its own
 * process, one after another, and writes every row plus ratios to bench/results/latest.json.
 */
const program = new Command()
  .name('bench')
  .argument('[scenarios...]', 'scenario names (default: all)')
  .option('--quick', 'reduced sizes (every scenario together stays under 5 minutes)')
  .option('--events <n>', 'events per scenario (overrides the defaults)')
  .parse();
const names = program.args;
const opts = program.opts<{ quick?: boolean; events?: string }>();
const unknown = names.filter((n) => !scenarios.some((s) => s.name === n) && !n.startsWith('nexmark'));
if (unknown.length) {
  console.error(`unknown scenario(s): ${unknown.join(', ')}; known: ${scenarios.map((s) => s.name).join(', ')}`);
  process.exit(2);
}
const selected = scenarios.filter((s) => names.length === 0 || names.includes(s.name));
const rows: BenchRow[] = [];
for (const s of selected) {
  const events = opts.events ? Number(opts.events) : opts.quick ? s.quickEvents : s.events;
  for (const system of Object.keys(s.systems)) {
    process.stdout.write(`${s.name.padEnd(16)} ${system.padEnd(12)} ${events.toLocaleString('en')} events … `);
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run-one.ts', s.name, system, String(events)], { encoding: 'utf8', maxBuffer: 64 << 20 });
    const last = run.stdout.trim().split('\n').pop() ?? '';
    if (run.status !== 0 || !last.startsWith('{')) {
      console.log('FAILED');
      console.error(run.stderr.slice(-2000));
      process.exitCode = 1;
      continue;
    }
    const row = JSON.parse(last) as BenchRow;
    rows.push(row);
    console.log(`${row.eventsPerSec.toLocaleString('en')} ev/s, ${row.seconds}s, rss peak ${row.rssPeakMb} MB (start ${row.rssStartMb})`);
  }
}

const ratios = selected.flatMap((s) => {
  const of = (system: string) => rows.find((r) => r.scenario === s.name && r.system === system);
  // Ratios of every Weir variant against every baseline measured in the same run.
  const weirs = Object.keys(s.systems).filter((x) => x.startsWith('weir') && of(x));
  const bases = Object.keys(s.systems).filter((x) => of(x) && (!x.startsWith('weir') || x === 'weir-none'));
  return weirs.flatMap((w) =>
    bases.filter((b) => b !== w).map((b) => ({ scenario: s.name, ratio: `${w}/${b}`, value: Math.round((of(w)!.eventsPerSec / of(b)!.eventsPerSec) * 100) / 100 })),
  );
});
for (const r of ratios) console.log(`${r.scenario.padEnd(16)} ${r.ratio.padEnd(18)} ${r.value}×`);

mkdirSync('bench/results', { recursive: true });
const path = 'bench/results/latest.json';
const previous = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as { rows: BenchRow[]; ratios?: typeof ratios }) : { rows: [], ratios: [] };
const ran = new Set(selected.map((s) => s.name));
const result = {
  machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, memGb: Math.round(os.totalmem() / 1e9), node: process.version, platform: `${os.platform()} ${os.release()}`, commit: gitCommit(), at: new Date().toISOString(), quick: Boolean(opts.quick) },
  rows: [...previous.rows.filter((r) => !ran.has(r.scenario)), ...rows],
  ratios: [...(previous.ratios ?? []).filter((r) => !ran.has(r.scenario)), ...ratios],
};
writeFileSync(path, JSON.stringify(result, null, 2) + '\n');
console.log(`wrote ${path}`);

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}
