import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GENERATED, readings, windowRows } from '../fixtures/inputs.ts';
import type { DistributedScenario } from './distributed.ts';

/** Generator → keyed windows → the two-phase-commit file sink, on two nodes: committed files are whole epochs, none twice. */
export const fileScenario: DistributedScenario = async ({ dir, seed }) => {
  const out = join(dir, 'out');
  return {
    env: { CHAOS_SOURCE: 'generator', CHAOS_SINK: 'file', CHAOS_OUT: out },
    reference: windowRows(readings(GENERATED, seed)),
    read: async () =>
      existsSync(out)
        ? readdirSync(out)
            .filter((f) => f.endsWith('.jsonl'))
            .flatMap((f) => readFileSync(join(out, f), 'utf8').split('\n').filter(Boolean))
        : [],
    leftovers: async () => {
      const hidden = existsSync(out) ? readdirSync(out).filter((f) => f.startsWith('.')) : [];
      return hidden.length ? `uncommitted files left in the output directory: ${hidden.join(' ')}` : undefined;
    },
    cleanup: async () => {},
  };
};
