import { fileURLToPath, pathToFileURL } from 'node:url';
import { causeText } from '../errors.ts';

/**
 * The one line `weir` prints for the failures a new user meets first (a job file that is missing,
 * does not load or throws while building its job, a job that fails, an unreachable NATS server, an
 * unknown command): what went wrong, where, and what to do — never a stack trace.
 */

/** Why a job file could not be run, as one line. `file` is the path as given, `resolved` the absolute one. */
export function jobFileErrorLine(file: string, resolved: string, error: unknown): string {
  const e = error as { code?: string; name?: string; message?: string; stack?: string; errors?: Array<{ text?: string; location?: { file?: string; line?: number; column?: number } }> };
  const url = pathToFileURL(resolved).href;
  if (e?.code === 'ERR_MODULE_NOT_FOUND' || e?.code === 'ERR_UNSUPPORTED_DIR_IMPORT') {
    const missing = /Cannot find (?:module|package) '([^']+)'/.exec(e.message ?? '')?.[1];
    if (missing && (missing === resolved || missing === url)) return `weir: job file '${file}' not found (looked at ${resolved})`;
    return `weir: cannot load job file '${file}': it imports '${missing ?? '?'}', which cannot be found (${firstLine(e.message)}); run 'npm install' or fix the import`;
  }
  if (e?.code === 'WEIR_JOB_FAILED') return `weir: ${firstLine(e.message)}`;
  // esbuild (through tsx) reports syntax errors with a location.
  const syntax = e?.errors?.[0];
  if (syntax?.text) return `weir: cannot load job file '${file}': ${syntax.text}${syntax.location ? ` (line ${syntax.location.line}, column ${syntax.location.column})` : ''}`;
  if (e?.name === 'SyntaxError' || /Transform failed/.test(e?.message ?? '')) return `weir: cannot load job file '${file}': ${firstLine(e.message)}`;
  const where = frameIn(e?.stack, resolved);
  return `weir: job file '${file}' threw while building its job${where ? ` (${where})` : ''}: ${e instanceof Error ? `${e.name === 'Error' ? '' : `${e.name}: `}${firstLine(e.message)}` : causeText(error)}`;
}

/** An unreachable (or refusing) NATS server: which URLs were tried, how, and what to do. */
export function natsErrorLine(servers: string[], error: unknown, timeoutMs = 5000): string {
  const cause = causeText((error as { cause?: unknown })?.cause ?? error).replace(/^cannot connect to NATS at [^:]+:\/\/[^:]+:\d+: /, '');
  // A server that answered and refused (credentials, TLS) is running: say what it refused, not how to start one.
  if (REFUSED.test(cause)) return `weir: cannot connect to NATS at ${servers.join(', ')}: ${cause}`;
  return `weir: cannot connect to NATS at ${servers.join(', ')} (tried ${servers.length === 1 ? 'that server' : `each of the ${servers.length} servers`}, waiting up to ${timeoutMs / 1000} s): ${cause}. Is nats-server running there? Start one with 'nats-server -js', or pass --nats <url> (or set NATS_URL)`;
}

/** Causes that come from a server that was reached and said no. */
const REFUSED = /authori[sz]ation|authentication|certificate|self.signed|permissions? violation/i;

/** A command `weir` does not have. */
export function unknownCommandLine(name: string, known: string[]): string {
  const close = known.filter((k) => editDistance(k, name) <= Math.max(1, Math.floor(k.length / 3)));
  return `weir: unknown command '${name}'${close.length ? ` (did you mean ${close.map((c) => `'${c}'`).join(' or ')}?)` : ''}; commands: ${known.join(', ')}; see 'weir --help'`;
}

/** Levenshtein distance (command names are short). */
function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next.push(Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    row = next;
  }
  return row[b.length]!;
}

function firstLine(text: string | undefined): string {
  return (text ?? '').split('\n')[0]!.trim();
}

/** `file:line:column` of the first stack frame inside the job file. */
function frameIn(stack: string | undefined, resolved: string): string | undefined {
  for (const line of (stack ?? '').split('\n')) {
    const m = /\(?((?:file:\/\/)?[^()\s]+):(\d+):(\d+)\)?$/.exec(line.trim());
    if (!m) continue;
    const path = m[1]!.startsWith('file://') ? fileURLToPath(m[1]!) : m[1]!;
    if (path === resolved) return `${path}:${m[2]}:${m[3]}`;
  }
  return undefined;
}
