/**
 * The process a `weir node` starts for its part of one job: `weir run <bundle> --nats …` with
 * two additions. It exits at once when its node dies (its stdin, a pipe from the node, closes),
 * so a node killed with SIGKILL takes its job parts with it and the other nodes notice; and
 * SIGTERM cancels the job cleanly (`weir cancel`). NATS credentials come in the environment
 * variable `WEIR_NATS_AUTH` (JSON of CLI flags), not on the command line where `ps` shows them.
 */
import { activeJobs } from '../api/stream-environment.ts';

process.stdin.on('end', () => process.exit(137));
process.stdin.on('error', () => process.exit(137));
process.stdin.resume();
// Watching stdin must not keep the process alive once the job is done.
(process.stdin as unknown as { unref(): void }).unref();

process.on('SIGTERM', () => {
  if (activeJobs.size === 0) process.exit(143);
  for (const job of activeJobs) void job.cancel();
});

const auth = JSON.parse(process.env.WEIR_NATS_AUTH ?? '{}') as Record<string, string>;
delete process.env.WEIR_NATS_AUTH;
for (const [flag, value] of Object.entries(auth)) process.argv.push(`--${flag}`, value);

await import('../cli/main.ts');
