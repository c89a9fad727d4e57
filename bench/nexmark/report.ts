import { writeFileSync } from 'node:fs';
import type { BenchRow } from '../scenario.ts';

/** Flink's published per-core figures (events/s) for context in the report. */
const FLINK: Record<string, string> = { q0: '~155-175K (1.13)', q1: '~155-175K (1.13), ~395K (2.0)', q2: '~155-175K (1.13)', q5: '~12-22K (1.13), ~75K (2.0)', q7: '~12-22K (1.13), ~23K (2.0)' };
const TARGET: Record<string, number> = { q0: 2_000_000, q1: 2_000_000, q2: 2_000_000, q5: 500_000, q7: 500_000 };

/** Writes bench/results/nexmark.md (a table) and nexmark.svg (a bar chart) from the Nexmark rows. */
export function writeNexmarkReport(rows: BenchRow[], machine: Record<string, unknown>): string[] {
  const queries = [...new Set(rows.filter((r) => r.scenario.startsWith('nexmark-q')).map((r) => r.scenario.slice('nexmark-'.length)))].sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
  const of = (q: string, system: string) => rows.find((r) => r.scenario === `nexmark-${q}` && r.system === system);
  const generator = rows.find((r) => r.scenario === 'nexmark-generator');
  const lines = [
    '# Nexmark on Weir',
    '',
    `Machine: ${machine.cpus} × ${machine.model}, Node ${machine.node}, commit ${machine.commit}${machine.quick ? ' (quick run)' : ''}. One process per system; Weir embedded at parallelism 1.`,
    generator ? `Generator alone: ${generator.eventsPerSec.toLocaleString('en')} events/s.` : '',
    '',
    '| query | Weir events/s | hand-loop events/s | Weir / hand-loop | p99 latency (ms) | Weir p2 over NATS events/s | target | Flink per core |',
    '|---|---:|---:|---:|---:|---:|---|---|',
    ...queries.map((q) => {
      const w = of(q, 'weir');
      const h = of(q, 'hand-loop');
      const ratio = w && h ? (w.eventsPerSec / h.eventsPerSec).toFixed(2) + '×' : '–';
      const target = TARGET[q] ? `≥ ${(TARGET[q]! / 1e6).toFixed(1)}M/s ${w && w.eventsPerSec >= TARGET[q]! ? 'met' : 'missed'}` : '≥ 0.5× hand-loop';
      const p2 = of(q, 'weir-nats-p2');
      return `| ${q} | ${w?.eventsPerSec.toLocaleString('en') ?? '–'} | ${h?.eventsPerSec.toLocaleString('en') ?? '–'} | ${ratio} | ${w?.extra?.p99LatencyMs ?? '–'} | ${p2?.eventsPerSec.toLocaleString('en') ?? '–'} | ${target} | ${FLINK[q] ?? '–'} |`;
    }),
    '',
    'Weir p2 over NATS: the query at parallelism 2 on two `weir run --nats` processes (one per core) through a local nats-server, process start-up included.',
    '',
  ];
  writeFileSync('bench/results/nexmark.md', lines.join('\n'));
  writeFileSync('bench/results/nexmark.svg', svg(queries.map((q) => ({ q, weir: of(q, 'weir')?.eventsPerSec ?? 0, hand: of(q, 'hand-loop')?.eventsPerSec ?? 0 }))));
  return ['bench/results/nexmark.md', 'bench/results/nexmark.svg'];
}

/** A grouped horizontal bar chart: Weir and hand-loop events/s per query. */
function svg(data: Array<{ q: string; weir: number; hand: number }>): string {
  const max = Math.max(1, ...data.flatMap((d) => [d.weir, d.hand]));
  const rowH = 40;
  const width = 720;
  const left = 60;
  const scale = (v: number) => ((width - left - 150) * v) / max;
  const bars = data
    .map((d, i) => {
      const y = 30 + i * rowH;
      return [
        `<text x="10" y="${y + 16}" font-size="14">${d.q}</text>`,
        `<rect x="${left}" y="${y}" width="${scale(d.weir).toFixed(1)}" height="14" fill="#2b6cb0"/>`,
        `<text x="${left + scale(d.weir) + 6}" y="${y + 12}" font-size="11">${(d.weir / 1e6).toFixed(2)}M weir</text>`,
        `<rect x="${left}" y="${y + 16}" width="${scale(d.hand).toFixed(1)}" height="14" fill="#a0aec0"/>`,
        `<text x="${left + scale(d.hand) + 6}" y="${y + 28}" font-size="11">${(d.hand / 1e6).toFixed(2)}M hand-loop</text>`,
      ].join('');
    })
    .join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${40 + data.length * rowH}" font-family="sans-serif">\n<text x="10" y="18" font-size="14" font-weight="bold">Nexmark events/s (higher is better)</text>\n${bars}\n</svg>\n`;
}
