import { bucketName, snapshotBucket, checkName } from '../cluster/cluster-state.ts';
import { acceptedBucket } from './bundle-replay.ts';
import { WeirError } from '../errors.ts';

/** Publish and subscribe allow-lists of one role. */
export interface RolePermissions {
  publish: string[];
  subscribe: string[];
}

/** What each role of a tenant may do on NATS. */
export interface TenantPermissions {
  /** `weir node` and the job processes it starts (they connect with the node's credentials). */
  node: RolePermissions;
  /** `weir submit` and `weir cancel`. */
  submitter: RolePermissions;
  /** `weir jobs` and `weir nodes`. */
  reader: RolePermissions;
}

/**
 * The inbox prefix of a tenant's connections: replies (JetStream API answers, KV and object
 * reads) come to `_INBOX_<tenant>.…`, so a tenant may subscribe to its own replies only.
 * Weir sets it from the first token of the subject prefix; undefined keeps NATS's `_INBOX`.
 */
export function tenantInbox(subjectPrefix: string | undefined): string | undefined {
  return subjectPrefix ? `_INBOX_${subjectPrefix.split('.')[0]}` : undefined;
}

/**
 * The staging stream of a tenant's JetStream sinks (a job process of a `--subject-prefix <tenant>`
 * node defaults `jetStreamSink`'s `stagingStream` to it): one per tenant, as tenants must not
 * read or purge each other's staged records. The default tenant `weir` keeps `WEIR_STAGING`.
 */
export function tenantStagingStream(tenant: string): string {
  return tenant === 'weir' ? 'WEIR_STAGING' : `${tenant.replace(/[^A-Za-z0-9_-]/g, '_')}_STAGING`;
}

/** A tenant's jobs' own JetStream connectors: what `weir permissions --source-stream/--sink-subject` grant. */
export interface ConnectorGrants {
  /** Streams the jobs read with `jetStreamSource` (durable pull consumers, acknowledged). */
  sourceStreams?: readonly string[];
  /** Subjects the jobs' `jetStreamSink`s publish to (wildcards allowed; a stream captures them). */
  sinkSubjects?: readonly string[];
  /** The sinks' staging stream (default {@link tenantStagingStream}). */
  stagingStream?: string;
}

/** JetStream API subjects that read a stream (info, direct and message get, ordered consumers for watches and object reads). */
function readStream(stream: string): string[] {
  return [`$JS.API.STREAM.INFO.${stream}`, `$JS.API.STREAM.MSG.GET.${stream}`, `$JS.API.DIRECT.GET.${stream}`, `$JS.API.DIRECT.GET.${stream}.>`, `$JS.API.CONSUMER.CREATE.${stream}`, `$JS.API.CONSUMER.CREATE.${stream}.>`, `$JS.API.CONSUMER.DELETE.${stream}.>`, `$JS.API.CONSUMER.INFO.${stream}.>`, `$JS.API.CONSUMER.LIST.${stream}`, `$JS.API.CONSUMER.NAMES.${stream}`, `$JS.FC.${stream}.>`];
}

/** Subjects that create and change a stream's contents (creating the bucket when missing, purging objects). */
function ownStream(stream: string): string[] {
  return [...readStream(stream), `$JS.API.STREAM.CREATE.${stream}`, `$JS.API.STREAM.UPDATE.${stream}`, `$JS.API.STREAM.PURGE.${stream}`, `$JS.API.STREAM.MSG.DELETE.${stream}`];
}

const kv = (bucket: string) => ({ stream: `KV_${bucket}`, data: `$KV.${bucket}.>` });
const obj = (bucket: string) => ({ stream: `OBJ_${bucket}`, data: `$O.${bucket}.>` });

/**
 * The NATS permissions a tenant needs to run `jobs` (the tenant is the subject prefix its nodes
 * use, `weir node --subject-prefix <tenant>`). Everything is named by the tenant: core subjects
 * `<tenant>.<job>.>` (channels, credits, control), the KV buckets `<tenant>_nodes`, `_lease`,
 * `_jobs`, `_signed` (nodes only), the object stores `<tenant>_bundles` and `<tenant>_chk_<job>`
 * (checkpoints), and the inbox `_INBOX_<tenant>`; `connectors` adds the jobs' own JetStream
 * streams, sink subjects and the tenant's staging stream to the node's role. Nothing is granted on another tenant's names, so its subjects,
 * streams, KV and object buckets are refused by the server with a permissions violation.
 * @example
 * ```ts
 * const p = tenantPermissions('acme', ['orders'])
 * p.node.publish.includes('acme.orders.>') // true
 * ```
 */
export function tenantPermissions(tenant: string, jobs: readonly string[], connectors: ConnectorGrants = {}): TenantPermissions {
  checkName('tenant', tenant);
  for (const j of jobs) checkName('job', j);
  const sources = (connectors.sourceStreams ?? []).map((s) => checkName('stream', s));
  const sinkSubjects = [...(connectors.sinkSubjects ?? [])];
  for (const s of sinkSubjects) if (!/^[^\s]+$/.test(s) || s.startsWith('$') || s.startsWith('_INBOX')) throw new WeirError('WEIR_INVALID_NAME', `--sink-subject '${s}' is not a subject a sink may publish to`);
  const staging = checkName('staging stream', connectors.stagingStream ?? tenantStagingStream(tenant));
  const nodes = kv(bucketName(tenant, 'nodes'));
  const lease = kv(bucketName(tenant, 'lease'));
  const jobsKv = kv(bucketName(tenant, 'jobs'));
  const bundles = obj(bucketName(tenant, 'bundles'));
  // Written by --trust nodes only: the newest signed bundle per job (a submitter must not reset it).
  const accepted = kv(acceptedBucket(tenant));
  const checkpoints = jobs.map((j) => obj(snapshotBucket(tenant, j)));
  const inbox = `${tenantInbox(tenant)}.>`;
  const node: RolePermissions = {
    publish: [
      '$JS.API.INFO',
      ...[nodes, lease, jobsKv, bundles, accepted, ...checkpoints].flatMap((b) => [...ownStream(b.stream), b.data]),
      ...jobs.map((j) => `${tenant}.${j}.>`),
      // The jobs' own connectors: sources consume and acknowledge, sinks stage and publish.
      ...sources.flatMap((s) => [...readStream(s), `$JS.API.CONSUMER.MSG.NEXT.${s}.*`, `$JS.API.CONSUMER.DURABLE.CREATE.${s}.*`, `$JS.ACK.${s}.>`]),
      ...(sinkSubjects.length ? [...ownStream(staging), `weir-staging.${staging}.>`, ...sinkSubjects] : []),
    ],
    subscribe: [inbox, ...jobs.map((j) => `${tenant}.${j}.>`)],
  };
  const submitter: RolePermissions = {
    publish: ['$JS.API.INFO', ...[nodes, lease].flatMap((b) => readStream(b.stream)), ...[jobsKv, bundles].flatMap((b) => [...readStream(b.stream), b.data])],
    subscribe: [inbox],
  };
  const reader: RolePermissions = {
    publish: ['$JS.API.INFO', ...[nodes, lease, jobsKv, bundles].flatMap((b) => readStream(b.stream))],
    subscribe: [inbox],
  };
  return { node, submitter, reader };
}

/** A nats-server config variable name for a tenant's role, e.g. `WEIR_ACME_NODE`. */
export function permissionsVariable(tenant: string, role: keyof TenantPermissions): string {
  return `WEIR_${tenant.toUpperCase().replace(/-/g, '_')}_${role.toUpperCase()}`;
}

const list = (xs: string[]) => `[\n${xs.map((x) => `    ${JSON.stringify(x)}`).join(",\n")}\n  ]`;

/**
 * {@link tenantPermissions} as nats-server configuration: one variable per role (see
 * {@link permissionsVariable}) to reference from users, e.g.
 * `users: [ { user: acme-node, password: $ACME_NODE_PASSWORD, permissions: $WEIR_ACME_NODE } ]`.
 * @example
 * ```ts
 * writeFileSync('weir-acme.conf', permissionsConfig('acme', ['orders']))
 * ```
 */
export function permissionsConfig(tenant: string, jobs: readonly string[], connectors: ConnectorGrants = {}): string {
  const p = tenantPermissions(tenant, jobs, connectors);
  const roles: Array<[keyof TenantPermissions, string]> = [
    ['node', `weir node --subject-prefix ${tenant} and the job processes it starts`],
    ['submitter', `weir submit / weir cancel --subject-prefix ${tenant}`],
    ['reader', `weir jobs / weir nodes --subject-prefix ${tenant}`],
  ];
  const header = [
    `# NATS permissions of Weir tenant '${tenant}'${jobs.length ? `, jobs ${jobs.join(', ')}` : ' (no job: add --job <name> for each job the tenant runs)'}.`,
    `# Include this file in nats-server.conf and give each user one role, e.g.`,
    `#   authorization { users: [ { user: ${tenant}-node, password: $${tenant.toUpperCase().replace(/-/g, '_')}_NODE_PASSWORD, permissions: $${permissionsVariable(tenant, 'node')} } ] }`,
    `# nats-server refuses a variable no user references: give every role a user, or delete its block.`,
    `# Clients of the tenant reply on ${tenantInbox(tenant)}.> (Weir sets the inbox prefix from --subject-prefix, also for the jobs' connectors).`,
    ...(connectors.sourceStreams?.length ? [`# The jobs read the streams ${connectors.sourceStreams.join(', ')} (jetStreamSource).`] : []),
    ...(connectors.sinkSubjects?.length ? [`# The jobs' jetStreamSinks publish to ${connectors.sinkSubjects.join(', ')} and stage in the stream ${connectors.stagingStream ?? tenantStagingStream(tenant)} (their default on this tenant's nodes).`] : []),
    '',
  ];
  const blocks = roles.map(([role, who]) => [`# ${role}: ${who}`, `${permissionsVariable(tenant, role)} = {`, `  publish: { allow: ${list(p[role].publish).replace(/\n/g, '\n  ')} }`, `  subscribe: { allow: ${list(p[role].subscribe).replace(/\n/g, '\n  ')} }`, '}', ''].join('\n'));
  return header.join('\n') + blocks.join('\n');
}
