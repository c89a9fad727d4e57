// The Weir dashboard: one page fed by Server-Sent Events (/events) with every job's status.
// Plain JavaScript (preact + htm, no build-time JSX); bundled with esbuild by the server.
import { h, render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import htm from 'htm';
import uPlot from 'uplot';

const html = htm.bind(h);

const rate = (n) => (n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : n.toFixed(0));
const pct = (x) => `${Math.round(x * 100)}%`;
const bytes = (n) => (n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KB` : `${n} B`);
const ms = (n) => (n === null || n === undefined ? '-' : n < 1000 ? `${Math.round(n)} ms` : n < 120_000 ? `${(n / 1000).toFixed(1)} s` : n < 7_200_000 ? `${Math.round(n / 60_000)} min` : `${(n / 3_600_000).toFixed(1)} h`);
const time = (t) => new Date(t).toLocaleTimeString();

/** busy / back-pressured / idle: whichever dominates the interval. */
function stateOf(a) {
  if (a.state === 'failed' || a.state === 'restarting') return 'failed';
  if (a.backpressured >= 0.5 || (a.backpressured > a.busy && a.backpressured > 0.2)) return 'backpressured';
  if (a.busy >= 0.5 || a.busy > a.idle) return 'busy';
  return 'idle';
}
/** Colour mixed from the three shares (red busy, violet back-pressured, blue idle). */
function colourOf(a) {
  const mix = (c) => Math.round(c[0] * a.busy + c[1] * a.backpressured + c[2] * a.idle);
  return `rgb(${mix([217, 123, 79])},${mix([83, 79, 143])},${mix([79, 201, 217])})`;
}

function traceLink(traceUi, traceparent) {
  const id = traceparent.split('-')[1] ?? '';
  return traceUi.includes('{traceId}') ? traceUi.replace('{traceId}', id) : `${traceUi.replace(/\/$/, '')}/trace/${id}`;
}

function JobList({ jobs, selected, select }) {
  return html`<section data-testid="jobs"><h2>Jobs</h2><table>
    <thead><tr><th>job</th><th>state</th><th class="num">uptime</th><th class="num">parallelism</th><th class="num">in/s</th><th class="num">out/s</th><th class="num">watermark lag</th><th class="num">restarts</th><th class="num">dead letters</th><th>nodes</th></tr></thead>
    <tbody>${jobs.map((j) => html`<tr class=${`clickable ${j.job === selected ? 'selected' : ''}`} onClick=${() => select(j.job)} data-job=${j.job}>
      <td>${j.job}</td><td class=${`state-${j.state}`} data-testid="job-state">${j.state}${j.error ? `: ${j.error}` : ''}</td>
      <td class="num">${ms(j.at - j.startedAt)}</td><td class="num">${j.parallelism}</td>
      <td class="num" data-testid="job-in">${rate(j.inPerSec)}</td><td class="num" data-testid="job-out">${rate(j.outPerSec)}</td>
      <td class="num">${ms(j.watermarkLagMs)}</td><td class="num" data-testid="job-restarts">${j.restarts}</td><td class="num">${j.deadLetters}</td><td>${(j.nodes ?? []).join(', ') || 'this process'}</td></tr>`)}</tbody></table></section>`;
}

/** Chains as boxes in columns by depth; each subtask a cell coloured by its shares; edges labelled with records/s. */
function Graph({ job }) {
  const { chains, edges } = job.graph;
  const depth = chains.map(() => 0);
  for (let pass = 0; pass < chains.length; pass++) for (const e of edges) depth[e.to] = Math.max(depth[e.to], depth[e.from] + 1);
  const columns = [];
  chains.forEach((c, i) => (columns[depth[i]] ??= []).push(i));
  const W = 330, GAP = 110, CELL = 22, HEAD = 34;
  const pos = [];
  let height = 0;
  columns.forEach((col, x) => {
    let y = 10;
    for (const i of col) {
      const h = HEAD + chains[i].parallelism * CELL + 8;
      pos[i] = { x: 10 + x * (W + GAP), y, h };
      y += h + 20;
    }
    height = Math.max(height, y);
  });
  const actorsOf = (name) => job.actors.filter((a) => a.operator === name);
  return html`<section class="graph" data-testid="graph"><h2>Job graph</h2>
    <div class="legend"><span><i style="background:var(--busy)"></i>busy</span><span><i style="background:var(--bp)"></i>back-pressured</span><span><i style="background:var(--idle)"></i>idle</span> (colour mixes the shares of the last interval)</div>
    <svg width=${columns.length * (W + GAP)} height=${height}>
      <defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#8a93a3" /></marker></defs>
      ${edges.map((e, k) => {
        const a = pos[e.from], b = pos[e.to];
        const x1 = a.x + W, y1 = a.y + a.h / 2, x2 = b.x, y2 = b.y + b.h / 2;
        return html`<g data-testid="edge" data-edge=${k}><path d=${`M${x1},${y1} C${x1 + 40},${y1} ${x2 - 40},${y2} ${x2},${y2}`} stroke="#8a93a3" fill="none" marker-end="url(#arrow)" />
          <text class="edge-label" x=${(x1 + x2) / 2 - 30} y=${(y1 + y2) / 2 - 6} data-testid="edge-rate">${rate(job.edgeRates[k] ?? 0)}/s ${e.partitioning}</text></g>`;
      })}
      ${chains.map((c, i) => {
        const p = pos[i];
        return html`<g data-testid="chain" data-chain=${c.name}>
          <rect x=${p.x} y=${p.y} width=${W} height=${p.h} rx="5" fill="#fff" stroke="#aab3c2" />
          <text x=${p.x + 8} y=${p.y + 15} font-weight="600">${c.name.length > 50 ? `${c.name.slice(0, 49)}…` : c.name}</text>
          <text x=${p.x + 8} y=${p.y + 28} class="edge-label">parallelism ${c.parallelism}</text>
          ${actorsOf(c.name).map((a) => {
            const y = p.y + HEAD + a.subtask * CELL;
            return html`<g data-subtask=${`${c.name}#${a.subtask}`} data-state=${stateOf(a)} data-mailbox=${a.mailboxDepth} data-capacity=${a.mailboxCapacity}>
              <rect x=${p.x + 8} y=${y} width=${W - 16} height=${CELL - 4} rx="3" fill=${colourOf(a)} />
              <text x=${p.x + 12} y=${y + 13} fill="#fff" style="fill:#fff">#${a.subtask} ${stateOf(a)} · busy ${pct(a.busy)} · bp ${pct(a.backpressured)} · mailbox ${a.mailboxDepth}/${a.mailboxCapacity}${a.node ? ` · ${a.node}` : ''}</text></g>`;
          })}</g>`;
      })}
    </svg></section>`;
}

function Chart({ title, series, job, testid }) {
  const ref = useRef(null);
  const plot = useRef(null);
  const data = [job.history.t.map((t) => t / 1000), ...series.map((s) => s.values(job))];
  useEffect(() => {
    if (!plot.current) {
      plot.current = new uPlot({ width: Math.max(300, ref.current.clientWidth - 10), height: 180, series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.colour, width: 2, spanGaps: true }))], axes: [{}, { size: 60 }] }, data, ref.current);
    } else plot.current.setData(data);
  });
  useEffect(() => () => plot.current?.destroy(), []);
  return html`<section data-testid=${testid}><h2>${title}</h2><div ref=${ref}></div></section>`;
}

function Actors({ job }) {
  return html`<section data-testid="actors"><h2>Actors</h2><table>
    <thead><tr><th>actor</th><th>state</th><th class="num">busy</th><th class="num">back-pressured</th><th class="num">idle</th><th class="num">mailbox</th><th class="num">in/s</th><th class="num">out/s</th><th class="num">watermark</th><th class="num">restarts</th></tr></thead>
    <tbody>${job.actors.map((a) => html`<tr data-actor=${a.id}><td>${a.operator}#${a.subtask}${a.node ? ` (${a.node})` : ''}</td><td>${a.state}</td><td class="num">${pct(a.busy)}</td><td class="num">${pct(a.backpressured)}</td><td class="num">${pct(a.idle)}</td>
      <td class="num">${a.mailboxDepth}/${a.mailboxCapacity}</td><td class="num">${rate(a.inPerSec)}</td><td class="num">${rate(a.outPerSec)}</td><td class="num">${a.watermark === null ? '-' : `${time(a.watermark)} (${ms(job.at - a.watermark)} behind)`}</td><td class="num">${a.restarts}</td></tr>`)}</tbody></table></section>`;
}

function Checkpoints({ job }) {
  const rows = [...job.checkpoints].reverse().slice(0, 15);
  return html`<section data-testid="checkpoints"><h2>Checkpoints (${job.checkpoints.filter((c) => c.status === 'completed').length} completed, ${job.checkpointFailures} failed)</h2>
    ${rows.length === 0 ? html`<div class="empty">none yet</div>` : html`<table><thead><tr><th>#</th><th>status</th><th>at</th><th class="num">duration</th><th class="num">alignment</th><th class="num">size</th><th>reason</th></tr></thead>
    <tbody>${rows.map((c) => html`<tr><td>${c.id}</td><td>${c.status}</td><td>${time(c.at)}</td><td class="num">${ms(c.durationMs)}</td><td class="num">${ms(c.alignmentMs)}</td><td class="num">${c.bytes === undefined ? '-' : bytes(c.bytes)}</td><td class="cause">${c.reason ?? ''}</td></tr>`)}</tbody></table>`}</section>`;
}

function Restarts({ job }) {
  const rows = [...job.restartLog].reverse();
  return html`<section data-testid="restarts"><h2>Restarts (${job.restarts})</h2>
    ${rows.length === 0 ? html`<div class="empty">none</div>` : html`<table><thead><tr><th>at</th><th>scope</th><th>actor</th><th>attempt</th><th>cause</th><th>restored from</th></tr></thead>
    <tbody>${rows.map((r) => html`<tr data-testid="restart"><td>${time(r.at)}</td><td>${r.scope}</td><td>${r.actor ? `${r.actor}#${r.subtask}` : 'whole job'}</td><td>${r.attempt}</td><td class="cause">${r.cause}</td><td class="cause">${r.restoredFrom}</td></tr>`)}</tbody></table>`}</section>`;
}

function DeadLetters({ job }) {
  const rows = [...job.deadLetterLog].reverse();
  return html`<section data-testid="dead-letters"><h2>Dead letters (${job.deadLetters})</h2>
    ${rows.length === 0 ? html`<div class="empty">none</div>` : html`<table><thead><tr><th>at</th><th>operator</th><th>code</th><th>error</th><th>record (truncated, secrets masked)</th></tr></thead>
    <tbody>${rows.map((d) => html`<tr data-testid="dead-letter"><td>${time(d.at)}</td><td>${d.operator}#${d.subtask}</td><td>${d.code}</td><td class="cause">${d.reason}</td><td class="record">${d.record}</td></tr>`)}</tbody></table>`}</section>`;
}

function Traces({ job, traceUi }) {
  return html`<section data-testid="traces"><h2>Sampled records</h2>
    ${job.traces.length === 0 ? html`<div class="empty">no sampled records (run with --trace-sample 0.001)</div>` : html`<ul>${job.traces.map((t) => html`<li><a href=${traceLink(traceUi, t.traceparent)} target="_blank" rel="noopener">${t.traceparent.split('-')[1]}</a> from ${t.operator}</li>`)}</ul>`}</section>`;
}

function App() {
  const [jobs, setJobs] = useState([]);
  const [selected, setSelected] = useState(undefined);
  const [traceUi, setTraceUi] = useState('http://localhost:16686');
  const [connected, setConnected] = useState(false);
  useEffect(() => {
    const events = new EventSource('/events');
    events.addEventListener('config', (e) => setTraceUi(JSON.parse(e.data).traceUi));
    events.onmessage = (e) => setJobs(JSON.parse(e.data));
    events.onopen = () => setConnected(true);
    events.onerror = () => setConnected(false);
    return () => events.close();
  }, []);
  const job = jobs.find((j) => j.job === selected) ?? jobs.find((j) => j.state === 'running') ?? jobs[0];
  return html`<header><h1>Weir</h1><span class="conn" data-testid="connection">${connected ? 'live' : 'disconnected'} · ${jobs.length} job${jobs.length === 1 ? '' : 's'}</span></header>
    <main>
      <${JobList} jobs=${jobs} selected=${job?.job} select=${setSelected} />
      ${job ? html`
        <${Graph} job=${job} />
        <div class="grid2">
          <${Chart} title="Records per second" testid="rates-chart" job=${job} series=${[{ label: 'in/s', colour: '#4f8fd9', values: (j) => j.history.inPerSec }, { label: 'out/s', colour: '#2e7d32', values: (j) => j.history.outPerSec }]} />
          <${Chart} title="Watermark lag (ms)" testid="lag-chart" job=${job} series=${[{ label: 'lag ms', colour: '#d9534f', values: (j) => j.history.lagMs }]} />
        </div>
        <${Actors} job=${job} />
        <div class="grid2"><${Checkpoints} job=${job} /><${Restarts} job=${job} /></div>
        <${DeadLetters} job=${job} />
        <${Traces} job=${job} traceUi=${traceUi} />` : html`<section class="empty">waiting for a job…</section>`}
    </main>`;
}

const root = document.getElementById('app');
root.textContent = '';
render(html`<${App} />`, root);
