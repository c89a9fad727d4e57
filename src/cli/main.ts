import { Command } from 'commander';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readFileSync } from 'node:fs';

/**
 * The `weir` command. `weir run job.ts` runs a job file embedded in this process (the job calls
 * `env.execute()` itself, exactly as with `tsx job.ts`).
 */
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command().name('weir').description('Stream processing for TypeScript, built as supervised actors').version(pkg.version);

program
  .command('run')
  .description('run a job file embedded in this process')
  .argument('<job>', 'a TypeScript or JavaScript file that builds a job and calls env.execute()')
  .option('--trace-sample <rate>', 'follow this share of source records with spans, e.g. 0.001 (exported over OTLP per OTEL_* variables)')
  .option('--metrics', 'export runtime metrics over OTLP (per OTEL_* variables)')
  .option('--console-telemetry', 'print spans and metrics to the console instead of sending OTLP')
  .action(async (job: string, opts: { traceSample?: string; metrics?: boolean; consoleTelemetry?: boolean }) => {
    const rate = opts.traceSample === undefined ? 0 : Number(opts.traceSample);
    if (!(rate >= 0 && rate <= 1)) program.error(`--trace-sample must be a number between 0 and 1, got '${opts.traceSample}'`);
    let shutdown: (() => Promise<void>) | undefined;
    if (rate > 0 || opts.metrics) {
      const { setupTelemetry } = await import('./telemetry.ts');
      const { environmentDefaults } = await import('../internal.ts');
      shutdown = setupTelemetry({ traces: rate > 0, metrics: opts.metrics === true, console: opts.consoleTelemetry === true, job });
      if (rate > 0) environmentDefaults.traceSampleRate = rate;
    }
    try {
      await import(pathToFileURL(resolve(job)).href);
    } finally {
      await shutdown?.();
    }
  });

await program.parseAsync(process.argv);
