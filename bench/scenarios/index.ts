import type { Scenario } from '../scenario.ts';
import { mapFilter, keyedCount, slowSinkScenario } from './core.ts';
import { checkpointing } from './checkpointing.ts';
import { tumblingCount, slidingCount, sessionCount } from './windows.ts';
import { nexmarkScenarios } from './nexmark.ts';
import { tracingOverhead } from './tracing.ts';
import { natsMap } from './nats.ts';
import { stateScale } from './state-scale.ts';
import { latency } from './latency.ts';
import { recovery } from './recovery.ts';

/** Every scenario `npm run bench` knows, in run order. Later work adds its scenarios here. */
export const scenarios: Scenario[] = [mapFilter, keyedCount, slowSinkScenario, tumblingCount, slidingCount, sessionCount, checkpointing, tracingOverhead, natsMap, stateScale, ...nexmarkScenarios, latency, recovery];
