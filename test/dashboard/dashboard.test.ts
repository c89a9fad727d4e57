import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { weir } from '../cluster/cli-process.ts';
import { launchChromium } from '../support/chromium.ts';

/** The page's document, inside functions playwright runs in the browser (this project type-checks without DOM types). */
declare const document: any;

test('weir run --dashboard in a real browser: the graph renders, numbers move, back-pressure from the slow sink shows, the restart appears with its cause', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'weir-dashboard-'));
  // Long enough to be watched (the test stops it): an injected crash at event 3000, a poison event at 12000, a sink slow on every batch.
  const job = weir(['run', 'test/status/fixtures/watched.job.ts', '--dashboard', '0', '--status', 'off', '--trace-sample', '0.01', '--trace-ui', 'http://jaeger.test/trace/{traceId}'], { COUNT: '2000000', RATE: '20000', SINK_DELAY_MS: '30', POISON_AT: '12000' });
  const browser = await launchChromium(join(dir, 'profile'));
  try {
    await job.waitFor(/dashboard on http:\/\/127\.0\.0\.1:\d+\//);
    const url = /dashboard on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(job.output())![1]!;
    const page = await browser.newPage();
    const external: string[] = [];
    page.on('request', (r) => !r.url().startsWith(url) && external.push(r.url()));
    await page.goto(url);
    // The graph: a box per chain, a cell per subtask, edges with their rates.
    await page.waitForSelector('[data-testid=graph] [data-subtask]');
    const chains = await page.$$eval('[data-testid=chain]', (els) => els.map((e) => e.getAttribute('data-chain')));
    assert.ok(chains.some((c) => c!.includes('slow-sink')), `chains: ${chains}`);
    assert.ok((await page.$$('[data-testid=edge]')).length >= 1);
    // Numbers move: the job's records in changes between updates, and an edge carries a rate.
    const first = await page.textContent('[data-testid=job-in]');
    await page.waitForFunction((before) => document.querySelector('[data-testid=job-in]')?.textContent !== before && document.querySelector('[data-testid=job-in]')?.textContent !== '0', first);
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=edge-rate]')].some((e: any) => /^[1-9]/.test(e.textContent ?? '')));
    // The slow sink: busy with a full mailbox, and what feeds it back-pressured.
    await page.waitForSelector('[data-chain*="slow-sink"] [data-state=busy]');
    await page.waitForFunction(() => [...document.querySelectorAll('[data-chain*="slow-sink"] [data-subtask]')].some((e: any) => e.getAttribute('data-mailbox') === e.getAttribute('data-capacity')));
    await page.waitForSelector('[data-chain*="parse"] [data-state=backpressured]');
    // The injected crash, its cause and what the actor restored from.
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=restart]')].some((e: any) => /injected crash at event 3000/.test(e.textContent ?? '') && /last local snapshot/.test(e.textContent ?? '')));
    // The poison event: a dead letter with its record, the password masked.
    await page.waitForSelector('[data-testid=dead-letter]');
    const letter = await page.textContent('[data-testid=dead-letter]');
    assert.match(letter!, /poison event 12000/);
    assert.match(letter!, /"password":"\*\*\*"/);
    assert.not.match(letter!, /hunter2/);
    // Checkpoints and a trace link to the configured trace UI.
    await page.waitForFunction(() => /completed/.test(document.querySelector('[data-testid=checkpoints]')?.textContent ?? ''));
    const link = await page.getAttribute('[data-testid=traces] a', 'href');
    assert.match(link!, /^http:\/\/jaeger\.test\/trace\/[0-9a-f]{32}$/);
    assert.ok((await page.$$('[data-testid=lag-chart] canvas')).length > 0, 'the watermark chart is drawn');
    const shot = join(dir, 'dashboard.png');
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`screenshot: ${shot}`);
    assert.equal(external, [], 'the page loads nothing from elsewhere');
  } finally {
    await browser.close();
    job.child.kill('SIGTERM');
    await job.exit;
  }
});

test.run();
