import type { Command } from 'commander';
import { readFileSync, writeFileSync } from 'node:fs';
// The security modules are imported by the commands that use them, so every other `weir` command starts as fast as before.

/** Reads a signing seed file for `weir submit --sign`; a clear error, never the file's text, when it cannot. */
export function readSigningSeed(program: Command, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    program.error(`weir: cannot read the signing key file ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

/** Reads `weir submit --valid-for` (`90s`, `30m`, `12h`, `7d`) as milliseconds; a clear error otherwise. */
export function readValidity(program: Command, text: string): number {
  const m = /^(\d+)(s|m|h|d)$/.exec(text.trim());
  if (!m || Number(m[1]) === 0) program.error(`weir: --valid-for '${text}' is not a duration such as 90s, 30m, 12h or 7d`);
  return Number(m[1]) * { s: 1000, m: 60_000, h: 3600_000, d: 86_400_000 }[m[2] as 's']!;
}

/** Warns once when a secret was given as a flag: every user of the machine sees it in `ps`. */
export function warnSecretFlags(f: { password?: string; token?: string }): void {
  for (const [flag, env] of [['password', 'NATS_PASSWORD'], ['token', 'NATS_TOKEN']] as const) {
    if (f[flag] !== undefined) console.error(`weir: warning: --${flag} is visible to every user of this machine (ps); set ${env} in the environment instead`);
  }
}

/** A repeatable, comma-separated option. */
const repeatable = (v: string, prev: string[] = []) => [...prev, ...v.split(',').filter(Boolean)];

/**
 * Adds `weir keygen` (a signing key for job bundles) and `weir permissions` (the NATS
 * permissions of a tenant's node, submitter and reader, as nats-server configuration).
 */
export function addSecurityCommands(program: Command): void {
  program
    .command('keygen')
    .description('create an ed25519 (nkey) signing key for job bundles: writes its seed to <file> (mode 0600), prints its public key for weir node --trust')
    .argument('<file>', 'where the seed goes (must not exist)')
    .action(async (file: string) => {
      const { newSigningKey } = await import('../security/bundle-signing.ts');
      const key = newSigningKey();
      try {
        writeFileSync(file, `${key.seed}\n`, { mode: 0o600, flag: 'wx' });
      } catch (error) {
        program.error(`weir: cannot create ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'} (keygen never overwrites a key)`);
      }
      console.log(key.publicKey);
    });

  program
    .command('permissions')
    .description("print the NATS publish/subscribe permissions a tenant's node, submitter and reader need for a job (nats-server configuration); with --accounts, one NATS account per tenant")
    .requiredOption('--tenant <tenant>', "the tenant: its subject prefix (weir node --subject-prefix <tenant>); with --accounts, repeatable or comma-separated", repeatable)
    .option('--job <job>', 'the job (repeatable, or comma-separated)', repeatable)
    .option('--source-stream <stream>', "a stream the jobs read with jetStreamSource (repeatable, or comma-separated)", repeatable)
    .option('--sink-subject <subject>', "a subject the jobs' jetStreamSinks publish to (repeatable, or comma-separated; wildcards allowed)", repeatable)
    .option('--staging-stream <stream>', "the sinks' staging stream (default <tenant>_STAGING, the default of the tenant's job processes)")
    .option('--accounts', 'print nats-server accounts instead: each tenant its own account with JetStream and limits, plus the system account')
    .option('--max-memory <size>', 'with --accounts: JetStream memory per tenant (default 1G)')
    .option('--max-file <size>', 'with --accounts: JetStream file storage per tenant (default 10G)')
    .option('--max-streams <n>', 'with --accounts: streams, KV and object buckets per tenant (default 256)')
    .option('--max-consumers <n>', 'with --accounts: consumers per tenant (default 4096)')
    .action(async (f: { tenant: string[]; job?: string[]; sourceStream?: string[]; sinkSubject?: string[]; stagingStream?: string; accounts?: boolean; maxMemory?: string; maxFile?: string; maxStreams?: string; maxConsumers?: string }) => {
      const { permissionsConfig } = await import('../security/permissions.ts');
      const connectors = { sourceStreams: f.sourceStream, sinkSubjects: f.sinkSubject, stagingStream: f.stagingStream };
      try {
        if (f.accounts) {
          const { accountsConfig } = await import('../security/tenant-accounts.ts');
          const count = (v: string | undefined, flag: string) => {
            if (v !== undefined && !/^[1-9]\d*$/.test(v)) program.error(`weir: --${flag} must be a positive integer, got '${v}'`);
            return v === undefined ? undefined : Number(v);
          };
          process.stdout.write(accountsConfig(f.tenant, { maxMemory: f.maxMemory, maxFile: f.maxFile, maxStreams: count(f.maxStreams, 'max-streams'), maxConsumers: count(f.maxConsumers, 'max-consumers') }, f.job ?? [], connectors));
        } else {
          process.stdout.write(f.tenant.map((t) => permissionsConfig(t, f.job ?? [], connectors)).join('\n'));
        }
      } catch (error) {
        program.error(`weir: ${(error as Error).message}`);
      }
    });
}
