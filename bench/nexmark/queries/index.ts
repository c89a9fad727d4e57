import type { NexmarkQuery } from '../query.ts';
import { q0, q1, q2 } from './q0-q2.ts';
import { q3, q4 } from './q3-q4.ts';
import { q5, q7, q8 } from './q5-q8.ts';

/** Every implemented Nexmark query, in order (q6 is not part of this suite). */
export const queries: NexmarkQuery<any>[] = [q0, q1, q2, q3, q4, q5, q7, q8];
