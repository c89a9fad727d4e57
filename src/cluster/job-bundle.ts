import type { Plugin } from 'esbuild';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ObjectStore } from '@nats-io/obj';
import { WeirError, causeText } from '../errors.ts';

/** Root of this Weir installation (the folder holding `src/` and `actors/`). */
const weirRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Stands for the Weir installation in a bundle; each node replaces it with its own. */
const WEIR_MARK = '__WEIR_ROOT__';

/**
 * Keeps Weir itself out of a job bundle: imports of `weir`, `weir/internal` or any file of this
 * installation's `src/` or `actors/` become references to the node's own Weir, so a job runs on
 * the exact runtime of the node (one copy of its classes and globals), while the job's own code
 * and its other dependencies are bundled.
 */
const externalWeir: Plugin = {
  name: 'weir-external',
  setup(b) {
    b.onResolve({ filter: /^weir(\/internal)?$/ }, (args) => ({ path: `${WEIR_MARK}/src/${args.path === 'weir' ? 'index.ts' : 'internal.ts'}`, external: true }));
    b.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind === 'entry-point' || !args.path.startsWith('.')) return undefined;
      const target = resolve(args.resolveDir, args.path);
      const rel = relative(weirRoot, target);
      if (rel.startsWith('..') || !(rel.startsWith(`src${sep}`) || rel.startsWith(`actors${sep}`))) return undefined;
      return { path: `${WEIR_MARK}/${rel.split(sep).join('/')}`, external: true };
    });
  },
};

/**
 * Bundles a job file with esbuild into one ES module (Weir left out, see above).
 * Throws a {@link WeirError} naming the file and esbuild's first error when it does not build.
 * @example
 * ```ts
 * const code = await bundleJob('jobs/counts.ts')
 * ```
 */
export async function bundleJob(file: string): Promise<Uint8Array> {
  // esbuild is loaded only when bundling (weir submit), not by every process that imports Weir.
  const { build } = await import('esbuild');
  try {
    const out = await build({
      entryPoints: [resolve(file)],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      write: false,
      logLevel: 'silent',
      plugins: [externalWeir],
      // Bundled CommonJS dependencies may call require(): give the module one.
      banner: { js: "import { createRequire as __weirCreateRequire } from 'node:module'; const require = __weirCreateRequire(import.meta.url);" },
    });
    return out.outputFiles[0]!.contents;
  } catch (error) {
    const first = (error as { errors?: Array<{ text: string; location?: { file: string; line: number } }> }).errors?.[0];
    const where = first?.location ? ` at ${first.location.file}:${first.location.line}` : '';
    throw new WeirError('WEIR_JOB_BUNDLE', `cannot bundle job file '${file}': ${first ? first.text + where : causeText(error)}`, { source: file }, { cause: error });
  }
}

/** Stores a bundle in the object store under `name` (with its signature metadata, if signed); returns the entry's name. */
export async function storeBundle(store: ObjectStore, name: string, code: Uint8Array, metadata?: Record<string, string>): Promise<string> {
  await store.putBlob({ name, description: 'weir job bundle', ...(metadata ? { metadata } : {}) }, code);
  return name;
}

/**
 * Fetches a bundle and writes it as a module under `dir`, pointing its Weir imports at this
 * node's installation. Returns the file's path, ready for `weir run`. `check` sees the exact bytes
 * written and the object's metadata first, and throws to refuse them (signed bundles).
 */
export async function materializeBundle(store: ObjectStore, name: string, dir: string, check?: (code: Uint8Array, metadata: Record<string, string>) => void | Promise<void>): Promise<string> {
  const info = check ? await store.info(name) : null;
  const code = await store.getBlob(name);
  if (!code) throw new WeirError('WEIR_JOB_BUNDLE', `job bundle '${name}' is not in the object store (was the job submitted with 'weir submit'?)`);
  await check?.(code, info?.metadata ?? {});
  const text = new TextDecoder().decode(code).split(WEIR_MARK).join(pathToFileURL(weirRoot).href);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.mjs`);
  writeFileSync(file, text);
  return file;
}
