import type { MapState, MapStateDescriptor } from '../../src/state/state-descriptor.ts';
import { InvalidJobError } from '../../src/errors.ts';

/**
 * Broadcast state (Flink's BroadcastState): maps every subtask holds identically because every
 * subtask sees every broadcast record. Only the broadcast side may write; the keyed side reads.
 */
export class BroadcastState {
  private maps = new Map<string, Map<unknown, unknown>>();
  /** Read-only and writable views per state name (user code asks per record). */
  private views = new Map<string, [MapState<unknown, unknown>, MapState<unknown, unknown>]>();

  get<UK, UV>(descriptor: MapStateDescriptor<UK, UV>, readOnly: boolean, operator: string): MapState<UK, UV> {
    let v = this.views.get(descriptor.name);
    if (!v) {
      let m = this.maps.get(descriptor.name);
      if (!m) this.maps.set(descriptor.name, (m = new Map()));
      const message = `operator '${operator}': broadcast state '${descriptor.name}' is read-only outside processBroadcastElement (every subtask must hold the same state)`;
      this.views.set(descriptor.name, (v = [view(m, true, message), view(m, false, message)]));
    }
    return v[readOnly ? 0 : 1] as MapState<UK, UV>;
  }

  snapshot(): Array<[string, Map<unknown, unknown>]> {
    return [...this.maps];
  }

  restore(state: unknown): void {
    this.maps = new Map((state as Array<[string, Map<unknown, unknown>]> | null) ?? []);
    this.views.clear();
  }
}

function view<UK, UV>(m: Map<UK, UV>, readOnly: boolean, readOnlyMessage: string): MapState<UK, UV> {
  const write = () => {
    if (readOnly) throw new InvalidJobError(readOnlyMessage);
  };
  return {
    get: (k) => m.get(k),
    put: (k, v) => {
      write();
      m.set(k, v);
    },
    contains: (k) => m.has(k),
    remove: (k) => {
      write();
      m.delete(k);
    },
    entries: () => [...m],
    keys: () => [...m.keys()],
    values: () => [...m.values()],
    isEmpty: () => m.size === 0,
    clear: () => {
      write();
      m.clear();
    },
  };
}
