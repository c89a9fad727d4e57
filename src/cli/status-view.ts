import { createLogUpdate } from 'log-update';
import type { LiveJobStatus } from '../status/job-status.ts';

/** How `weir run` / `weir submit --follow` show their jobs: a live line on a terminal, JSON lines, or nothing. */
export type StatusMode = 'line' | 'json' | 'off';

/** A view that takes the jobs' statuses each interval, and `end` for the last time. */
export interface StatusView {
  update(statuses: LiveJobStatus[]): void;
  end(statuses: LiveJobStatus[]): void;
}

/** Share of an interval an actor must wait for credit to be listed as back-pressured. */
const BACKPRESSURED = 0.5;

/** The status line of one job: records/s in and out, watermark lag, last checkpoint, restarts, dead letters, back-pressured actors. */
export function statusLine(s: LiveJobStatus, now: number): string {
  const parts = [s.job, s.state, `in ${rate(s.inPerSec)}/s`, `out ${rate(s.outPerSec)}/s`, `lag ${s.watermarkLagMs === null ? '-' : duration(s.watermarkLagMs)}`];
  const c = s.lastCheckpoint;
  parts.push(c ? `checkpoint #${c.id} ${duration(now - c.at)} ago ${bytes(c.bytes ?? 0)}` : 'checkpoint -');
  if (s.checkpointFailures > 0) parts.push(`checkpoint failures ${s.checkpointFailures}`);
  parts.push(`restarts ${s.restarts}`, `dead letters ${s.deadLetters}`);
  const bp = backpressured(s);
  parts.push(`back-pressured ${bp.length ? bp.map((a) => `${a.operator}#${a.subtask}`).join(',') : '-'}`);
  if (s.error) parts.push(`error: ${s.error}`);
  return parts.join('  ');
}

/** The same figures as one JSON-able object (what `--json` prints per job and interval). */
export function statusSummary(s: LiveJobStatus, now: number): Record<string, unknown> {
  const c = s.lastCheckpoint;
  return {
    job: s.job,
    state: s.state,
    at: s.at,
    recordsIn: s.recordsIn,
    recordsOut: s.recordsOut,
    inPerSec: Math.round(s.inPerSec),
    outPerSec: Math.round(s.outPerSec),
    watermarkLagMs: s.watermarkLagMs === null ? null : Math.round(s.watermarkLagMs),
    lastCheckpoint: c ? { id: c.id, ageMs: Math.max(0, now - c.at), bytes: c.bytes, durationMs: c.durationMs } : null,
    checkpointFailures: s.checkpointFailures,
    restarts: s.restarts,
    deadLetters: s.deadLetters,
    backpressured: backpressured(s).map((a) => ({ actor: a.id, share: Number(a.backpressured.toFixed(2)) })),
    ...(s.error ? { error: s.error } : {}),
    ...(s.nodes ? { nodes: s.nodes } : {}),
  };
}

function backpressured(s: LiveJobStatus) {
  return s.actors.filter((a) => a.backpressured >= BACKPRESSURED);
}

/**
 * A view on `stream` (stderr, so the job's own output on stdout stays apart): on a terminal one
 * line per job redrawn in place (log-update), otherwise one JSON line per job and interval.
 */
export function createStatusView(mode: StatusMode, stream: NodeJS.WriteStream = process.stderr, now: () => number = Date.now): StatusView {
  if (mode === 'off') return { update() {}, end() {} };
  if (mode === 'json') {
    const written = new Map<string, number>();
    const write = (statuses: LiveJobStatus[]) => {
      for (const s of statuses) {
        // A sample already shown (the last one, again at the end) is not repeated.
        if (written.get(s.job) === s.at) continue;
        written.set(s.job, s.at);
        stream.write(`${JSON.stringify(statusSummary(s, now()))}\n`);
      }
    };
    return { update: write, end: write };
  }
  const log = createLogUpdate(stream);
  let frame = '';
  const render = (statuses: LiveJobStatus[]) => {
    frame = statuses.length === 0 ? 'waiting for the job to start…' : statuses.map((s) => statusLine(s, now())).join('\n');
    log(frame);
  };
  // The job's own output on the same terminal would land inside the redrawn lines (and be erased
  // with them): lift the status lines, write it, and draw them again below.
  const out = process.stdout;
  const write = out.write;
  if (out.isTTY && out !== stream) {
    out.write = function (this: NodeJS.WriteStream, ...args: Parameters<typeof write>) {
      log.clear();
      const r = write.apply(this, args);
      if (frame) log(frame);
      return r;
    } as typeof write;
  }
  return {
    update: render,
    end: (statuses) => {
      out.write = write;
      render(statuses);
      log.done();
    },
  };
}

function rate(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : n.toFixed(0);
}

function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`;
  if (ms < 86_400_000 * 2) return `${(ms / 3_600_000).toFixed(1)}h`;
  return `${Math.round(ms / 86_400_000)}d`;
}

function bytes(n: number): string {
  return n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)}MB` : n >= 1024 ? `${(n / 1024).toFixed(1)}KB` : `${n}B`;
}
