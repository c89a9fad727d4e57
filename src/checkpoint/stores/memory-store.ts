import type { SnapshotStore } from './snapshot-store.ts';

/**
 * Snapshots kept in this process's memory (the default for embedded jobs).
 * @example
 * ```ts
 * StreamEnvironment.create({ snapshotStore: new MemorySnapshotStore() })
 * ```
 */
export class MemorySnapshotStore implements SnapshotStore {
  private readonly blobs = new Map<string, Uint8Array>();
  readonly volatile = true;

  async put(key: string, bytes: Uint8Array): Promise<void> {
    this.blobs.set(key, bytes.slice());
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    return this.blobs.get(key);
  }

  async list(prefix: string): Promise<string[]> {
    return [...this.blobs.keys()].filter((k) => k.startsWith(prefix)).sort();
  }

  async delete(key: string): Promise<void> {
    this.blobs.delete(key);
  }

  describe(): string {
    return 'memory';
  }
}
