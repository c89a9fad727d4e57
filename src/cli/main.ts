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
  .action(async (job: string) => {
    await import(pathToFileURL(resolve(job)).href);
  });

await program.parseAsync(process.argv);
