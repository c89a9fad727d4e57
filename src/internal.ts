/**
 * Runtime internals for the CLI, connectors, benchmarks and tests — not a stable API.
 * (Exposed as `weir/internal`, as nats.js exposes `internal_mod.ts`.)
 */
export { runJob, type JobRuntimeOptions } from './runtime/job.ts';
export { TaskActor, type TaskConfig } from './runtime/task-actor.ts';
export { ActorSystem } from './runtime/actor-system.ts';
export { Scheduler, type Schedulable } from './runtime/scheduler.ts';
export { Supervisor, defaultSupervision } from './runtime/supervisor.ts';
export { OutputGate } from './runtime/output-gate.ts';
export { InputSet } from './runtime/input-set.ts';
export { ReplayLog } from './runtime/replay-log.ts';
export { EffectGuard } from './runtime/effect-guard.ts';
export { ChainRunner } from './runtime/chain-runner.ts';
export { startLifecycle, lifecycleState, actorLifecycleMachine } from './runtime/actor-lifecycle.ts';
export type { Operator, OperatorContext, BatchOut } from './runtime/operator.ts';
export type { Partitioning } from './runtime/partitioner.ts';
export { LocalChannel } from './transport/local-channel.ts';
export type { InputChannel, OutputChannel } from './transport/channel.ts';
export type { Envelope, RecordsEnvelope, ControlEnvelope } from './transport/envelope.ts';
export { buildPhysicalPlan, type PhysicalPlan } from './graph/physical-plan.ts';
export type { Transformation } from './graph/transformation.ts';
export { environmentDefaults, environmentOverrides, activeJobs } from './api/stream-environment.ts';
export { RecordTracer, type TraceEntries } from './telemetry/record-tracer.ts';
export { windowJoin, type WindowAggregateSpec } from './table/window-join.ts';
