import { StreamEnvironment, type Sink } from '../../src/index.ts';
import { ResultDigest } from '../result-digest.ts';
import { wallNow } from '../nats/stamped-trade.ts';
import type { KeyedTotal } from '../latency/keyed-receiver.ts';
import { hashKeyedTotal, recoveryStream } from './recovery-pipeline.ts';

/** Records per second of the embedded run's source. */
export const FAILURE_RATE = 20_000;
/** Records between two injected failures: 300 ms at {@link FAILURE_RATE}. */
const SPACING = 6_000;
const FIRST = 10_000;

/** What one embedded run measured: the time from each failure to its record's output, and the job's result. */
export interface ActorFailureRun {
  recoveryMs: number[];
  digest: string;
  count: number;
}

/** Records a run of `failures` failures needs. */
export const recordsFor = (failures: number): number => FIRST + failures * SPACING + SPACING;

/**
 * Runs the recovery job in this process with `failures` injected failures: the step chained
 * behind the keyed reduce (parallelism 2) throws once at records FIRST, FIRST + SPACING, …, which
 * fails that actor; its supervisor restarts it from its last local snapshot and replays the input
 * retained since (tier 1). The failure time is taken just before the throw, the recovery time when
 * the sink receives that record's output. Failures are 300 ms apart and the supervisor's window is
 * 100 ms, so each is a first failure (backoff from its initial 10 ms), never an escalation.
 */
export async function runActorFailures(failures: number): Promise<ActorFailureRun> {
  const count = recordsFor(failures);
  const failAt = new Map<number, number>();
  for (let k = 0; k < failures; k++) failAt.set(FIRST + k * SPACING, 0);
  const recoveredAt = new Map<number, number>();
  const digest = new ResultDigest();
  const sink: Sink<KeyedTotal> = {
    name: 'digest',
    createWriter: () => ({
      open() {},
      write(values) {
        let now = 0;
        for (let k = 0; k < values.length; k++) {
          const t = values[k]!;
          digest.add(hashKeyedTotal(t));
          if (failAt.has(t.id) && !recoveredAt.has(t.id)) recoveredAt.set(t.id, now || (now = wallNow()));
        }
      },
      close() {},
    }),
  };
  const env = StreamEnvironment.create({ parallelism: 2, supervision: { withinMs: 100 } });
  recoveryStream(env, count, FAILURE_RATE, (t) => {
    if (failAt.get(t.id) === 0) {
      failAt.set(t.id, wallNow());
      throw new Error(`injected failure at record ${t.id}`);
    }
    return t;
  }).sinkTo(sink);
  const result = await env.execute('actor-failure');
  if (result.deadLetterCount > 0) throw new Error(`actor-failure: ${result.deadLetterCount} dead letters (a failure was taken for a poison record)`);
  const recoveryMs = [...failAt].map(([id, at]) => {
    const back = recoveredAt.get(id);
    if (at === 0 || back === undefined) throw new Error(`actor-failure: record ${id} ${at === 0 ? 'never failed' : 'never came out after its failure'}`);
    return back - at;
  });
  return { recoveryMs, digest: digest.toString(), count: digest.count };
}
