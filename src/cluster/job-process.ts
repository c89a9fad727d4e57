/**
 * The process a `weir node` starts for its part of one job: `weir run <bundle> --nats …` with
 * two additions. It exits at once when its node dies (its stdin, a pipe from the node, closes),
 * so a node killed with SIGKILL takes its job parts with it and the other nodes notice; and
 * SIGTERM cancels the job cleanly (`weir cancel`). NATS credentials come in the environment
 * variable `WEIR_NATS_AUTH` (JSON of CLI flags), not on the command line where `ps` shows them;
 * `WEIR_SNAPSHOT_BUCKET` names the object store bucket for checkpoints when nodes share no directory.
 */
import { activeJobs, environmentOverrides } from '../api/stream-environment.ts';
import { closeNats, connectNats } from './nats-connect.ts';
import { openBucketSnapshotStore } from './bucket-snapshot-store.ts';
import { tenantInbox, tenantStagingStream } from '../security/permissions.ts';

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

// The job's own connectors (jetStreamSource/Sink with just `servers`) connect as the node does: its user, password or
// token (set here, not in the environment the process was started with, so `ps e` does not show them), the tenant's
// inbox prefix and staging stream, which the tenant's permissions allow (`weir permissions --source-stream/--sink-subject`).
const tenant = process.argv.includes('--subject-prefix') ? process.argv[process.argv.indexOf('--subject-prefix') + 1]!.split('.')[0]! : 'weir';
for (const [flag, env] of [['user', 'NATS_USER'], ['password', 'NATS_PASSWORD'], ['token', 'NATS_TOKEN']] as const) if (auth[flag] !== undefined) process.env[env] ??= auth[flag];
if (tenant !== 'weir') process.env.WEIR_INBOX_PREFIX ??= tenantInbox(tenant);
process.env.WEIR_STAGING_STREAM ??= tenantStagingStream(tenant);

// Without a shared checkpoint directory, checkpoints go to a JetStream object store bucket.
const bucket = process.env.WEIR_SNAPSHOT_BUCKET;
delete process.env.WEIR_SNAPSHOT_BUCKET;
let snapshotsNc: Awaited<ReturnType<typeof connectNats>> | undefined;
if (bucket) {
  const servers = process.argv[process.argv.indexOf('--nats') + 1]!.split(',');
  const prefix = process.argv.includes('--subject-prefix') ? process.argv[process.argv.indexOf('--subject-prefix') + 1] : undefined;
  const nc = (snapshotsNc = await connectNats({ servers, name: `weir-snapshots-${process.pid}`, inboxPrefix: tenantInbox(prefix), user: auth.user, password: auth.password, token: auth.token, nkeySeedFile: auth.nkey, credsFile: auth.creds, tls: auth['tls-ca'] || auth['tls-cert'] ? { caFile: auth['tls-ca'], certFile: auth['tls-cert'], keyFile: auth['tls-key'] } : undefined }));
  environmentOverrides.snapshotStore = await openBucketSnapshotStore(nc, bucket);
}

try {
  await import('../cli/main.ts');
} finally {
  // The job is over: this connection must not keep the process alive.
  if (snapshotsNc) await closeNats(snapshotsNc);
}
