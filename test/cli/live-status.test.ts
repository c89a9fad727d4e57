import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { get } from 'node:http';
import { printedLines, weir } from '../cluster/cli-process.ts';
import { startNatsServer } from '../support/nats-server.ts';
import { weirToEnd } from '../support/run-to-end.ts';

const JOB = 'test/status/fixtures/watched.job.ts';
const TMUX = ['/usr/bin/tmux', '/usr/local/bin/tmux'].find((p) => existsSync(p));

/** `weir run` off a terminal: its stderr lines. */

const statusLines = (text: string) => text.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, any>);

// Started at once: the piped run goes on while the terminal test reads its screen.
const piped = weirToEnd(['run', JOB, '--status-interval', '300'], { COUNT: '30000' });

test('weir run on a terminal (tmux): one status line per job, redrawn in place, with rates, lag, checkpoint, restarts, dead letters, back-pressure', async () => {
  if (!TMUX) throw new Error('tmux was not found at /usr/bin/tmux: install it with `sudo apt-get install tmux`');
  const socket = `weir-test-${process.pid}`;
  const tmux = (...args: string[]) => spawnSync(TMUX, ['-L', socket, ...args], { encoding: 'utf8' });
  const screen = () => tmux('capture-pane', '-p', '-t', 's').stdout;
  try {
    const cmd = `COUNT=20000 POISON_AT=-1 ${process.execPath} bin/weir.js run ${JOB} --status-interval 300; echo EXITED $?; sleep 60`;
    assert.is(tmux('new-session', '-d', '-s', 's', '-x', '230', '-y', '20', '-c', process.cwd(), cmd).status, 0);
    const running: string[] = [];
    let last = '';
    // Read the screen until the command exits, keeping what the running job showed.
    for (;;) {
      last = screen();
      const lines = last.split('\n').filter((l) => l.startsWith('watched  running'));
      if (lines.length > 0) {
        assert.is(lines.length, 1, `one status line while running:\n${last}`);
        running.push(lines[0]!);
      }
      if (last.includes('EXITED')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(last, /EXITED 0/);
    const lines = last.split('\n');
    // Redrawn in place: the finished job's line replaced the running ones.
    assert.is(lines.filter((l) => l.startsWith('watched  ')).length, 1, last);
    const final = lines.find((l) => l.startsWith('watched  completed'))!;
    assert.ok(final, last);
    assert.match(final, /in [\d.k]+\/s {2}out [\d.k]+\/s {2}lag -  checkpoint #\d+ [\d.]+m?s ago [\d.]+K?B {2}restarts [1-9]\d* {2}dead letters 0 {2}back-pressured /);
    assert.ok(running.length >= 2 && new Set(running).size >= 2, `the line changed while running: ${running.join('\n')}`);
    assert.ok(running.some((l) => /in [1-9][\d.]*k?\/s/.test(l)), 'records/s moved');
    assert.ok(running.some((l) => /lag \d+ms|lag [\d.]+s/.test(l)), 'watermark lag shown');
    assert.ok(running.some((l) => /back-pressured [^-]/.test(l)), 'back-pressured actors listed');
    // The job's own output is not swallowed by the redrawn line.
    assert.match(last, /DONE 20000/);
  } finally {
    tmux('kill-server');
  }
});

test('weir run off a terminal: one JSON line per interval', async () => {
  const r = await piped;
  assert.is(r.code, 0, r.stderr);
  const lines = statusLines(r.stderr);
  assert.ok(lines.length >= 3, r.stderr);
  assert.ok(lines.every((l) => l.job === 'watched' && typeof l.inPerSec === 'number' && 'watermarkLagMs' in l && 'lastCheckpoint' in l && Array.isArray(l.backpressured)));
  assert.ok(lines.some((l) => l.inPerSec > 0 && l.state === 'running'));
  const last = lines.at(-1)!;
  assert.is(last.state, 'completed');
  assert.is(last.recordsIn, 30000);
  assert.is(last.deadLetters, 1);
  assert.ok(last.restarts >= 1);
  assert.ok(last.lastCheckpoint.id >= 1 && last.lastCheckpoint.bytes > 0);
  assert.match(r.stdout, /DONE 29999/);
});

/** Reads a dashboard's Server-Sent Events until one carries a status that `until` accepts. */
function readEvents(url: string, until: (jobs: Array<Record<string, any>>) => boolean): Promise<Array<Record<string, any>>> {
  return new Promise((resolve, reject) => {
    const req = get(`${url}events`, (res) => {
      let buffer = '';
      res.on('data', (d: Buffer) => {
        buffer += d.toString();
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const event = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (!event.startsWith('data: ')) continue;
          const jobs = JSON.parse(event.slice(6)) as Array<Record<string, any>>;
          if (until(jobs)) {
            req.destroy();
            resolve(jobs);
          }
        }
      });
    });
    req.on('error', reject);
  });
}

test('weir submit --follow: the job\u2019s status as its node publishes it over NATS, until it ends; weir dashboard --nats and weir node --dashboard serve the same', async () => {
  await using nats = await startNatsServer();
  // The job's sink holds its writes until the follower has shown a running status, so the job cannot end before.
  const dir = mkdtempSync(join(tmpdir(), 'weir-follow-'));
  const holdFile = join(dir, 'hold');
  writeFileSync(holdFile, '');
  const node = weir(['node', '--nats', nats.url, '--name', 'a', '--slots', '2', '--dashboard', '0'], { COUNT: '20000', POISON_AT: '-1', HOLD_FILE: holdFile });
  const dashboard = weir(['dashboard', '--nats', nats.url, '--port', '0']);
  try {
    await node.waitFor('node a joined');
    await node.waitFor(/dashboard on http:\/\/127\.0\.0\.1:\d+\//);
    const nodeDashboardUrl = /dashboard on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(node.output())![1]!;
    const servedByNode = readEvents(nodeDashboardUrl, (jobs) => jobs.some((j) => j.job === 'watched' && j.state === 'completed'));
    await dashboard.waitFor(/dashboard on http:\/\/127\.0\.0\.1:\d+\//);
    const dashboardUrl = /dashboard on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(dashboard.output())![1]!;
    const served = readEvents(dashboardUrl, (jobs) => jobs.some((j) => j.job === 'watched' && j.state === 'completed'));
    const submit = weir(['submit', JOB, '--parallelism', '2', '--follow', '--nats', nats.url]);
    await printedLines(submit, /^\{.*"state":"running".*"recordsIn":[1-9]/, 1);
    rmSync(holdFile);
    assert.is(await submit.exit, 0, submit.output() + node.output());
    assert.match(submit.output(), /job 'watched' completed/);
    const lines = statusLines(submit.output());
    assert.ok(lines.some((l) => l.state === 'running' && l.recordsIn > 0), submit.output());
    assert.is(lines.filter((l) => l.state === 'completed').length, 1, 'the final status once');
    assert.equal(lines.at(-1)!.nodes, ['a']);
    assert.is(lines.at(-1)!.recordsIn, 20000);
    const [seen] = (await served).filter((j) => j.job === 'watched');
    assert.is(seen!.recordsIn, 20000);
    assert.equal(seen!.nodes, ['a']);
    assert.ok(seen!.graph.chains.some((c: { operators: string[] }) => c.operators.includes('slow-sink')));
    assert.ok(seen!.actors.every((a: { node: string }) => a.node === 'a'));
    // `weir node --dashboard` serves the same merge.
    const [fromNode] = (await servedByNode).filter((j) => j.job === 'watched');
    assert.is(fromNode!.recordsIn, 20000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    dashboard.child.kill('SIGTERM');
    node.child.kill('SIGTERM');
    // A process that does not exit on SIGTERM (seen about once in two full runs, cause open: issue 23's note) is
    // named with its output and killed, so the suite reports instead of hanging until the runner's limit.
    await Promise.all(
      [['node', node], ['dashboard', dashboard]].map(async ([label, p]) => {
        const proc = p as typeof node;
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), 30_000)));
        if ((await Promise.race([proc.exit, late])) === 'late') {
          console.warn(`weir ${label as string} did not exit 30 s after SIGTERM; killing it. Its output:\n${proc.output()}`);
          proc.child.kill('SIGKILL');
          await proc.exit;
        }
        clearTimeout(timer);
      }),
    );
  }
});

test.run();
