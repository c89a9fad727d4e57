/**
 * The monitoring job: per host, sliding event-time windows (1 minute, every 10 s) give latency
 * percentiles (DDSketch) and the error rate; threshold and rate-of-change rules turn them into
 * alerts, de-duplicated per host and rule (open once per incident, repeat only after a cool-down,
 * close with "recovered"). A host that stops reporting raises a "silent" alert from a
 * processing-time timer.
 */
import {
  MapStateDescriptor, SlidingEventTimeWindows, ValueStateDescriptor, WatermarkStrategy,
  type DataStream, type KeyedProcessFunction,
} from '../../src/index.ts';
import { addToSketch, emptySketch, mergeSketches, quantiles, type SketchBuckets } from './latency-sketch.ts';
import type { Metric } from './metrics.ts';

/** One host's figures over one window. */
export interface HostStats {
  host: string;
  service: string;
  windowEnd: number;
  reports: number;
  p50: number;
  p95: number;
  p99: number;
  errorRate: number;
  /** Mean cpu and memory use (%) over the window. */
  cpu: number;
  mem: number;
}

/** An alert event. `at` is event time: the window end, or for `silent` when the silence passed its limit. */
export interface Alert {
  host: string;
  rule: 'latency-p99' | 'error-rate' | 'latency-jump' | 'silent';
  kind: 'open' | 'repeat' | 'recovered';
  at: number;
  value?: number;
}

/** Window size and slide of the per-host figures. */
export const WINDOW_MS = 60_000;
/** See {@link WINDOW_MS}. */
export const SLIDE_MS = 10_000;
/** Threshold of the p99 latency rule. */
export const P99_LIMIT_MS = 300;
/** Threshold of the error-rate rule (errors per request). */
export const ERROR_RATE_LIMIT = 0.05;
/** The p95 grew this many times over the host's previous window (and is above 100 ms). */
export const JUMP_FACTOR = 3;
/** An open alert repeats while it lasts, at most this often (event time). */
export const COOLDOWN_MS = 5 * 60_000;
/** Processing time without a report after which a host is silent, and how often that repeats. */
export const SILENCE_MS = 30_000;
/** See {@link SILENCE_MS}. */
export const SILENCE_REPEAT_MS = 60_000;
/** How far out of order reports may arrive (the watermark's bound). */
export const OUT_OF_ORDER_MS = 1_000;

/** The breach rules, in the order they are evaluated. */
export function breaches(s: HostStats, previousP95: number | undefined): Array<[Alert['rule'], boolean, number]> {
  return [
    ['latency-p99', s.p99 > P99_LIMIT_MS, s.p99],
    ['error-rate', s.errorRate > ERROR_RATE_LIMIT, s.errorRate],
    ['latency-jump', previousP95 !== undefined && s.p95 > 100 && s.p95 > JUMP_FACTOR * previousP95, s.p95],
  ];
}

/** De-duplication of one host's rule: what to emit for this evaluation, and the rule's next state. */
export function dedupe(state: { open: boolean; lastAt: number } | undefined, breach: boolean, at: number): { emit?: Alert['kind']; next: { open: boolean; lastAt: number } | undefined } {
  if (breach && !state?.open) return { emit: 'open', next: { open: true, lastAt: at } };
  if (breach && state && at - state.lastAt >= COOLDOWN_MS) return { emit: 'repeat', next: { open: true, lastAt: at } };
  if (!breach && state?.open) return { emit: 'recovered', next: undefined };
  return { next: state };
}

interface WindowAcc {
  latency: SketchBuckets;
  reports: number;
  requests: number;
  errors: number;
  cpu: number;
  mem: number;
  service: string;
}

/** Options of {@link monitoringJob}. */
export interface MonitoringOptions {
  /** Throw once in the alert rules at the first window ending at or after this time. */
  crashAtWindowEnd?: number;
}

/** What {@link monitoringJob} produces; attach a sink to each. */
export interface MonitoringStreams {
  stats: DataStream<HostStats>;
  alerts: DataStream<Alert>;
}

/**
 * Builds the job on a metrics stream.
 * @example
 * ```ts
 * const m = monitoringJob(env.fromSource(pacedSource(log, { time: (x) => x.at })).setParallelism(1)); m.alerts.sinkTo(alerts)
 * ```
 */
export function monitoringJob(metrics: DataStream<Metric>, options: MonitoringOptions = {}): MonitoringStreams {
  const timed = metrics.assignTimestampsAndWatermarks(WatermarkStrategy.forBoundedOutOfOrderness<Metric>(OUT_OF_ORDER_MS).withTimestampAssigner((m) => m.at))
    // One timestamp subtask, as the log has one split: every key's records stay in log order.
    .setParallelism(1);

  const stats = timed
    .keyBy((m) => m.host)
    .window(SlidingEventTimeWindows.of(WINDOW_MS, SLIDE_MS))
    .aggregate<WindowAcc, WindowAcc, HostStats>(
      {
        createAccumulator: () => ({ latency: emptySketch(), reports: 0, requests: 0, errors: 0, cpu: 0, mem: 0, service: '' }),
        add: (m, a) => {
          addToSketch(a.latency, m.latencyMs);
          a.reports++;
          a.requests += m.requests;
          a.errors += m.errors;
          a.cpu += m.cpu;
          a.mem += m.mem;
          a.service = m.service;
          return a;
        },
        getResult: (a) => a,
        merge: (a, b) => ({ latency: mergeSketches(a.latency, b.latency), reports: a.reports + b.reports, requests: a.requests + b.requests, errors: a.errors + b.errors, cpu: a.cpu + b.cpu, mem: a.mem + b.mem, service: a.service || b.service }),
      },
      (host, [a], { window }, out) => {
        const [p50, p95, p99] = quantiles(a!.latency, [0.5, 0.95, 0.99]);
        out.emit({ host, service: a!.service, windowEnd: window.end, reports: a!.reports, p50: p50!, p95: p95!, p99: p99!, errorRate: Math.round((a!.errors / a!.requests) * 1e4) / 1e4, cpu: Math.round(a!.cpu / a!.reports), mem: Math.round(a!.mem / a!.reports) }, window.end - 1);
      },
      'host-stats',
    )
    .uid('host-stats');

  let crashed = false;
  const ruleState = new MapStateDescriptor<string, { open: boolean; lastAt: number }>('rules');
  const previous = new ValueStateDescriptor<number>('previous-p95');
  const rules: KeyedProcessFunction<string, HostStats, Alert> = {
    processElement(s, ctx, out) {
      if (options.crashAtWindowEnd !== undefined && s.windowEnd >= options.crashAtWindowEnd && !crashed) {
        crashed = true;
        throw new Error(`injected crash at window ${s.windowEnd} of ${s.host}`);
      }
      const state = ctx.getMapState(ruleState);
      const prev = ctx.getState(previous);
      for (const [rule, breach, value] of breaches(s, prev.value())) {
        const d = dedupe(state.get(rule), breach, s.windowEnd);
        if (d.emit) out.collect({ host: s.host, rule, kind: d.emit, at: s.windowEnd, value });
        if (d.next) state.put(rule, d.next);
        else state.remove(rule);
      }
      prev.update(s.p95);
    },
  };
  const ruleAlerts = stats.keyBy((s) => s.host).process(rules, 'alert-rules').uid('alert-rules');

  // Silence: a processing-time timer per host, pushed back by every report.
  const seen = new ValueStateDescriptor<{ lastAt: number; timer: number; silentSince?: number; repeats: number }>('last-report');
  const silence: KeyedProcessFunction<string, Metric, Alert> = {
    processElement(m, ctx, out) {
      const state = ctx.getState(seen);
      const s = state.value();
      const timers = ctx.timerService();
      if (s) timers.deleteProcessingTimeTimer(s.timer);
      if (s?.silentSince !== undefined) out.collect({ host: m.host, rule: 'silent', kind: 'recovered', at: m.at });
      const timer = timers.currentProcessingTime() + SILENCE_MS;
      timers.registerProcessingTimeTimer(timer);
      state.update({ lastAt: Math.max(m.at, s?.lastAt ?? -Infinity), timer, repeats: 0 });
    },
    onTimer(t, ctx, out) {
      const state = ctx.getState(seen);
      const s = state.value();
      if (!s || s.timer !== t) return;
      // Event time of the alert: when the last report's silence passed the limit (and each repeat after).
      const at = s.lastAt + SILENCE_MS + s.repeats * SILENCE_REPEAT_MS;
      out.collect({ host: ctx.currentKey, rule: 'silent', kind: s.silentSince === undefined ? 'open' : 'repeat', at });
      const timer = t + SILENCE_REPEAT_MS;
      ctx.timerService().registerProcessingTimeTimer(timer);
      state.update({ ...s, timer, silentSince: s.silentSince ?? s.lastAt, repeats: s.repeats + 1 });
    },
  };
  const silentAlerts = timed.keyBy((m) => m.host).process(silence, 'silence').uid('silence');

  return { stats, alerts: ruleAlerts.union(silentAlerts) };
}
