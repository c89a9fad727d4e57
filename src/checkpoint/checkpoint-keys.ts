/** The name of an actor in checkpoint keys: its chain name made path-safe, and its subtask. */
export function actorCheckpointName(chain: string, subtask: number): string {
  return `${chainCheckpointName(chain)}-${subtask}`;
}

/** The chain part of {@link actorCheckpointName}: the chain name made path-safe. */
export function chainCheckpointName(chain: string): string {
  return chain.replace(/[^A-Za-z0-9_.-]/g, '_');
}

/** Snapshot key of one actor's part of checkpoint `id`: `job/chk-000042/actor-0`. */
export function checkpointKey(job: string, id: number, actor: string): string {
  return `${checkpointPrefix(job, id)}/${actor}`;
}

/** Prefix of every key of checkpoint `id`. */
export function checkpointPrefix(job: string, id: number): string {
  return `${job}/chk-${String(id).padStart(6, '0')}`;
}

/** Key of the metadata that marks checkpoint `id` complete (written last). */
export function checkpointMetadataKey(job: string, id: number): string {
  return `${checkpointPrefix(job, id)}/_metadata`;
}

/** The checkpoint id in a key written by {@link checkpointKey}, or undefined. */
export function checkpointIdOf(key: string): number | undefined {
  const m = /\/chk-(\d+)\//.exec(key);
  return m ? Number(m[1]) : undefined;
}
