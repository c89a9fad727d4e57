import { checkName } from '../cluster/cluster-state.ts';
import { WeirError } from '../errors.ts';
import { permissionsConfig, permissionsVariable, type ConnectorGrants, type TenantPermissions } from './permissions.ts';

/** JetStream limits of each tenant's account. */
export interface AccountLimits {
  /** Memory storage, nats-server size syntax (default `1G`). */
  maxMemory?: string;
  /** File storage (default `10G`). */
  maxFile?: string;
  /** Streams, KV and object buckets together (default 256). */
  maxStreams?: number;
  /** Consumers (default 4096). */
  maxConsumers?: number;
}

/** Name of the system account in {@link accountsConfig}. */
export const SYSTEM_ACCOUNT = 'SYS';

const roles: Array<keyof TenantPermissions> = ['node', 'submitter', 'reader'];

/** The environment variable nats-server reads a user's password from, e.g. `ACME_NODE_PASSWORD`; the config holds only its name. */
export function passwordVariable(tenant: string, role: keyof TenantPermissions | 'sys'): string {
  return role === 'sys' ? 'WEIR_SYS_PASSWORD' : `${tenant.toUpperCase().replace(/-/g, '_')}_${role.toUpperCase()}_PASSWORD`;
}

/**
 * nats-server configuration that gives each tenant its own NATS account (with JetStream and
 * `limits`), with three users `<tenant>-node`, `-submitter` and `-reader`, plus the system
 * account `SYS` (user `sys`). Accounts share nothing: a tenant's users cannot see another's
 * subjects, streams, KV or object buckets at all, whatever their names (each tenant's Weir
 * cluster may keep the default subject prefix), and a stream of one cannot capture another's
 * subjects. With `jobs`, each user also gets its role's permissions (see `permissionsConfig`), for
 * a tenant's cluster using `--subject-prefix <tenant>`. Passwords are read by nats-server from
 * the environment ({@link passwordVariable}); the config holds none.
 * @example
 * ```ts
 * writeFileSync('accounts.conf', accountsConfig(['acme', 'globex']))
 * ```
 */
export function accountsConfig(tenants: readonly string[], limits: AccountLimits = {}, jobs: readonly string[] = [], connectors: ConnectorGrants = {}): string {
  if (tenants.length === 0) throw new WeirError('WEIR_INVALID_NAME', 'give at least one --tenant');
  for (const t of tenants) {
    checkName('tenant', t);
    if (t.toUpperCase() === SYSTEM_ACCOUNT) throw new WeirError('WEIR_INVALID_NAME', `tenant name '${t}' is taken by the system account`);
  }
  if (new Set(tenants).size !== tenants.length) throw new WeirError('WEIR_INVALID_NAME', `a tenant is given twice: ${tenants.join(', ')}`);
  const js = `jetstream { max_memory: ${limits.maxMemory ?? '1G'}, max_file: ${limits.maxFile ?? '10G'}, max_streams: ${limits.maxStreams ?? 256}, max_consumers: ${limits.maxConsumers ?? 4096} }`;
  const user = (t: string, role: keyof TenantPermissions) => `      { user: ${JSON.stringify(`${t}-${role}`)}, password: $${passwordVariable(t, role)}${jobs.length ? `, permissions: $${permissionsVariable(t, role)}` : ''} }`;
  const account = (t: string) => [`  ${JSON.stringify(t)} {`, `    ${js}`, '    users: [', ...roles.map((r) => user(t, r)), '    ]', '  }'].join('\n');
  return [
    `# NATS accounts for Weir tenants ${tenants.join(', ')}: one account per tenant (its own subjects, streams, KV and object buckets), and the system account.`,
    `# nats-server reads the passwords from the environment, parsing each value as a config value: start it with a letter, or quote it ('"…"'):`,
    `#   ${[...tenants.flatMap((t) => roles.map((r) => passwordVariable(t, r))), passwordVariable('', 'sys')].join(', ')}.`,
    `# The server needs JetStream on (jetstream { store_dir: … }); each account's limits are below.`,
    ...(jobs.length ? ['', ...tenants.map((t) => permissionsConfig(t, jobs, connectors))] : ['# Users have every permission inside their account; add --job <name> for the role permissions of a cluster with --subject-prefix <tenant>.']),
    '',
    'accounts {',
    `  ${SYSTEM_ACCOUNT} {`,
    `    users: [ { user: "sys", password: $${passwordVariable('', 'sys')} } ]`,
    '  }',
    ...tenants.map(account),
    '}',
    `system_account: ${SYSTEM_ACCOUNT}`,
    '',
  ].join('\n');
}
