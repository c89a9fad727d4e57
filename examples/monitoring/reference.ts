/**
 * The monitoring job by plain loops over the whole log: the same DDSketch over the same values
 * per window, the same rules and de-duplication, and silences found from the gaps between a
 * host's reports (the job finds them with processing-time timers on a clock that follows the log).
 */
import { DDSketch } from '@datadog/sketches-js';
import { RELATIVE_ACCURACY } from './latency-sketch.ts';
import { SILENCE_MS, SILENCE_REPEAT_MS, SLIDE_MS, WINDOW_MS, breaches, dedupe, type Alert, type HostStats } from './monitoring-job.ts';
import type { Metric } from './metrics.ts';

/** Every window's figures and every alert the job emits. */
export function monitoringReference(log: readonly Metric[]): { stats: HostStats[]; alerts: Alert[] } {
  const byHost = new Map<string, Metric[]>();
  for (const m of log) {
    let l = byHost.get(m.host);
    if (!l) byHost.set(m.host, (l = []));
    l.push(m);
  }
  const stats: HostStats[] = [];
  const alerts: Alert[] = [];
  for (const [host, reports] of byHost) {
    // Sliding windows: [end - 1 min, end) for every end on the 10 s grid that holds a report.
    const ends = new Set<number>();
    for (const m of reports) for (let end = Math.floor(m.at / SLIDE_MS) * SLIDE_MS + SLIDE_MS; end <= m.at + WINDOW_MS; end += SLIDE_MS) ends.add(end);
    const mine: HostStats[] = [];
    for (const end of [...ends].sort((a, b) => a - b)) {
      const inside = reports.filter((m) => m.at >= end - WINDOW_MS && m.at < end);
      if (inside.length === 0) continue;
      const sketch = new DDSketch({ relativeAccuracy: RELATIVE_ACCURACY });
      let requests = 0, errors = 0, cpu = 0, mem = 0;
      for (const m of inside) {
        sketch.accept(m.latencyMs);
        requests += m.requests;
        errors += m.errors;
        cpu += m.cpu;
        mem += m.mem;
      }
      const q = (x: number) => Math.round(sketch.getValueAtQuantile(x) * 100) / 100;
      mine.push({ host, service: inside[0]!.service, windowEnd: end, reports: inside.length, p50: q(0.5), p95: q(0.95), p99: q(0.99), errorRate: Math.round((errors / requests) * 1e4) / 1e4, cpu: Math.round(cpu / inside.length), mem: Math.round(mem / inside.length) });
    }
    stats.push(...mine);

    const rules = new Map<string, { open: boolean; lastAt: number }>();
    let previous: number | undefined;
    for (const s of mine) {
      for (const [rule, breach, value] of breaches(s, previous)) {
        const d = dedupe(rules.get(rule), breach, s.windowEnd);
        if (d.emit) alerts.push({ host, rule, kind: d.emit, at: s.windowEnd, value });
        if (d.next) rules.set(rule, d.next);
        else rules.delete(rule);
      }
      previous = s.p95;
    }

    for (let i = 1; i < reports.length; i++) {
      const last = reports[i - 1]!.at;
      const next = reports[i]!.at;
      if (next - last <= SILENCE_MS) continue;
      let n = 0;
      for (let at = last + SILENCE_MS; at < next; at += SILENCE_REPEAT_MS) alerts.push({ host, rule: 'silent', kind: n++ === 0 ? 'open' : 'repeat', at });
      alerts.push({ host, rule: 'silent', kind: 'recovered', at: next });
    }
  }
  return { stats, alerts };
}
