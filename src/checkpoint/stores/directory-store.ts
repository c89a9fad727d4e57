import { mkdir, open, readFile, readdir, rename, rm } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { SnapshotStore } from './snapshot-store.ts';
import { SnapshotStoreError } from '../../errors.ts';

/**
 * Snapshots as files under a directory. Writes are atomic: a temporary file in the same
 * directory is written, fsynced and renamed over the target.
 * @example
 * ```ts
 * StreamEnvironment.create({ snapshotStore: new DirectorySnapshotStore('/var/lib/weir/snapshots') })
 * ```
 */
export class DirectorySnapshotStore implements SnapshotStore {
  private readonly dir: string;
  private tmpCounter = 0;

  constructor(dir: string) {
    this.dir = dir;
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    const path = this.pathOf(key);
    const tmp = `${path}.${process.pid}.${this.tmpCounter++}.tmp`;
    try {
      await mkdir(dirname(path), { recursive: true });
      const fh = await open(tmp, 'w');
      try {
        await fh.writeFile(bytes);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, path);
    } catch (e) {
      await rm(tmp, { force: true }).catch(() => {});
      throw new SnapshotStoreError(key, e);
    }
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      return new Uint8Array(await readFile(this.pathOf(key)));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new SnapshotStoreError(key, e);
    }
  }

  async list(prefix: string): Promise<string[]> {
    try {
      const entries = await readdir(this.dir, { recursive: true, withFileTypes: true });
      return entries
        .filter((e) => e.isFile() && !e.name.endsWith('.tmp'))
        .map((e) => relative(this.dir, join(e.parentPath ?? (e as unknown as { path: string }).path, e.name)).split(sep).join('/'))
        .filter((k) => k.startsWith(prefix))
        .sort();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new SnapshotStoreError(prefix, e);
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  describe(): string {
    return `directory ${this.dir}`;
  }

  private pathOf(key: string): string {
    const parts = key.split('/');
    if (key.length === 0 || parts.some((p) => p === '' || p === '.' || p === '..')) throw new SnapshotStoreError(key, new Error('a key is a relative path without empty, "." or ".." segments'));
    return join(this.dir, ...parts);
  }
}
