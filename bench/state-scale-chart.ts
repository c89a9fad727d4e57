import { writeFileSync } from 'node:fs';
import type { BenchRow } from './scenario.ts';

/** Ratios of the state-scale rows: each backend at its larger key counts against 10k, and lmdb against heap at each size; by events/s and by events per CPU-second of the job (steadier on a loaded machine). */
export function stateScaleRatios(rows: BenchRow[]): Array<{ scenario: string; ratio: string; value: number }> {
  const of = (system: string) => rows.find((r) => r.scenario === 'state-scale' && r.system === system);
  const out: Array<{ scenario: string; ratio: string; value: number }> = [];
  const ratio = (a: string, b: string) => {
    const x = of(a);
    const y = of(b);
    if (x && y) out.push({ scenario: 'state-scale', ratio: `${a}/${b}`, value: Math.round((x.eventsPerSec / y.eventsPerSec) * 100) / 100 });
    const [cx, cy] = [Number(x?.extra?.eventsPerCpuSec), Number(y?.extra?.eventsPerCpuSec)];
    if (cx > 0 && cy > 0) out.push({ scenario: 'state-scale', ratio: `${a}/${b} by cpu`, value: Math.round((cx / cy) * 100) / 100 });
  };
  for (const size of ['100k', '1m', '10m']) for (const b of ['heap', 'lmdb']) ratio(`${b}-${size}`, `${b}-10k`);
  for (const size of ['10k', '100k', '1m', '10m']) ratio(`lmdb-${size}`, `heap-${size}`);
  return out;
}

/**
 * Writes bench/results/state-scale.svg: events/s and checkpoint duration against key count
 * (log scale), one line per backend. Plain SVG, no chart library.
 */
export function writeStateScaleChart(rows: BenchRow[], path = 'bench/results/state-scale.svg'): string | undefined {
  const scale = rows.filter((r) => r.scenario === 'state-scale');
  if (scale.length === 0) return undefined;
  const series = (backend: string, y: (r: BenchRow) => number) =>
    scale
      .filter((r) => r.system.startsWith(`${backend}-`))
      .map((r) => [Number(r.extra?.keys), y(r)] as [number, number])
      .sort((a, b) => a[0] - b[0]);
  const panels = [
    { title: 'events/s', y: (r: BenchRow) => r.eventsPerSec },
    { title: 'events per CPU-second', y: (r: BenchRow) => Number(r.extra?.eventsPerCpuSec) || 0 },
    { title: 'checkpoint ms', y: (r: BenchRow) => Number(r.extra?.checkpointMs) },
  ];
  const W = 420;
  const H = 260;
  const pad = 50;
  const colours: Record<string, string> = { heap: '#1f77b4', lmdb: '#d62728' };
  const parts: string[] = [];
  panels.forEach((p, i) => {
    const x0 = i * (W + 20);
    const all = ['heap', 'lmdb'].flatMap((b) => series(b, p.y));
    const xs = all.map((d) => Math.log10(d[0]));
    const [xmin, xmax] = [Math.min(...xs), Math.max(...xs, Math.min(...xs) + 1)];
    const ymax = Math.max(...all.map((d) => d[1]), 1) * 1.1;
    const px = (k: number) => x0 + pad + ((Math.log10(k) - xmin) / (xmax - xmin)) * (W - 2 * pad);
    const py = (v: number) => H - pad + -(v / ymax) * (H - 2 * pad);
    parts.push(`<text x="${x0 + W / 2}" y="20" text-anchor="middle" font-size="14">${p.title} vs distinct keys</text>`);
    parts.push(`<line x1="${x0 + pad}" y1="${H - pad}" x2="${x0 + W - pad}" y2="${H - pad}" stroke="#000"/><line x1="${x0 + pad}" y1="${pad}" x2="${x0 + pad}" y2="${H - pad}" stroke="#000"/>`);
    parts.push(`<text x="${x0 + pad - 4}" y="${pad}" text-anchor="end" font-size="10">${Math.round(ymax).toLocaleString('en')}</text><text x="${x0 + pad - 4}" y="${H - pad}" text-anchor="end" font-size="10">0</text>`);
    for (const k of [...new Set(all.map((d) => d[0]))]) parts.push(`<text x="${px(k)}" y="${H - pad + 14}" text-anchor="middle" font-size="10">${k.toLocaleString('en')}</text>`);
    for (const b of ['heap', 'lmdb']) {
      const s = series(b, p.y);
      if (s.length === 0) continue;
      parts.push(`<polyline fill="none" stroke="${colours[b]}" stroke-width="2" points="${s.map((d) => `${px(d[0]).toFixed(1)},${py(d[1]).toFixed(1)}`).join(' ')}"/>`);
      for (const d of s) parts.push(`<circle cx="${px(d[0]).toFixed(1)}" cy="${py(d[1]).toFixed(1)}" r="3" fill="${colours[b]}"/>`);
    }
    parts.push(`<text x="${x0 + W - pad}" y="${pad}" text-anchor="end" font-size="11" fill="${colours.heap}">heap</text><text x="${x0 + W - pad}" y="${pad + 14}" text-anchor="end" font-size="11" fill="${colours.lmdb}">lmdb</text>`);
  });
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${panels.length * (W + 20) - 20}" height="${H}" font-family="sans-serif">\n${parts.join('\n')}\n</svg>\n`;
  writeFileSync(path, svg);
  return path;
}
