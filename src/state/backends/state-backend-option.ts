import { heapStateMaps, type StateMapFactory } from './state-map.ts';
import { lmdbStateMaps, type LmdbBackendOptions } from './lmdb-state-maps.ts';
import { InvalidJobError } from '../../errors.ts';

/**
 * Where a job's keyed state lives: `'heap'` (the default: JavaScript objects, fastest while the
 * state fits in memory) or `'lmdb'` / {@link LmdbBackendOptions} (an embedded memory-mapped
 * store on local disk behind a bounded write cache, for state larger than the heap).
 * @example
 * ```ts
 * StreamEnvironment.create({ stateBackend: { kind: 'lmdb', dir: '/var/lib/weir/state', cacheEntries: 100_000 } })
 * ```
 */
export type StateBackendOption = 'heap' | 'lmdb' | LmdbBackendOptions;

/** The state maps one operator instance uses under `option`. */
export function stateMapsFor(option: StateBackendOption | undefined, operator: string, maxParallelism: number): StateMapFactory {
  if (option === undefined || option === 'heap') return heapStateMaps;
  if (option === 'lmdb') return lmdbStateMaps({ kind: 'lmdb' }, operator, maxParallelism);
  if (typeof option === 'object' && option !== null && option.kind === 'lmdb') return lmdbStateMaps(option, operator, maxParallelism);
  throw new InvalidJobError(`environment option 'stateBackend' must be 'heap', 'lmdb' or { kind: 'lmdb', dir?, cacheEntries? }, got ${JSON.stringify(option)}`);
}
