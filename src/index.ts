/**
 * Weir's public API. Everything a job author uses is exported here by name; nothing else is
 * public. Runtime internals for the CLI, connectors and tests live in `./internal.ts`.
 */
export { StreamEnvironment, type EnvironmentOptions } from './api/stream-environment.ts';
export { DataStream, StreamSink } from './api/data-stream.ts';
export { KeyedStream } from './api/keyed-stream.ts';
export { WindowedStream } from './api/windowed-stream.ts';
export { OutputTag } from './api/output-tag.ts';
export { ConnectedStreams } from './api/connected-streams.ts';
export { JoinedStreams, WindowJoinBuilder, WindowedJoin } from './api/joined-streams.ts';
export { IntervalJoin, IntervalJoined } from './api/interval-join.ts';
export type {
  ProcessFunction,
  KeyedProcessFunction,
  CoProcessFunction,
  KeyedCoProcessFunction,
  KeyedBroadcastProcessFunction,
  BroadcastProcessFunction,
  ProcessCollector,
  ProcessContext,
  KeyedProcessContext,
  OnTimerContext,
  RuntimeContext,
  TimerService,
  BroadcastContext,
} from './api/process-function.ts';
export {
  ValueStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  AggregatingStateDescriptor,
  StateDescriptor,
  type StateTtlConfig,
  type StateOptions,
  type ValueState,
  type ListState,
  type MapState,
  type ReducingState,
  type AggregatingState,
} from './state/state-descriptor.ts';
export { WatermarkStrategy, type TimestampAssigner, type WatermarkGenerator } from './time/watermark-strategy.ts';
export { TumblingEventTimeWindows, SlidingEventTimeWindows, EventTimeSessionWindows, GlobalWindows, TumblingProcessingTimeWindows, SlidingProcessingTimeWindows, ProcessingTimeSessionWindows, type WindowAssigner, type TimeWindow } from './windows/assigners/window-assigner.ts';
export type { AggregateFunction, ProcessWindowFunction, WindowContext } from './windows/window-function.ts';
export type { Evictor, TimestampedValue } from './windows/evictors/evictor.ts';
export { CountEvictor } from './windows/evictors/count-evictor.ts';
export { TimeEvictor } from './windows/evictors/time-evictor.ts';
export { DeltaEvictor } from './windows/evictors/delta-evictor.ts';
export type { Collector } from './runtime/collector.ts';
export type { JobHandle, JobResult, JobMetrics, Distribution } from './runtime/job.ts';
export { natsDistribution, type NatsDistributionOptions } from './cluster/nats-distribution.ts';

export type { Source, SourceReader, SourceContext } from './connectors/source.ts';
export type { Sink, SinkWriter, SinkContext, TwoPhaseCommitSink, TwoPhaseCommitWriter } from './connectors/sink.ts';
export { collectionSource } from './connectors/collection-source.ts';
export { generatorSource, type GeneratorOptions } from './connectors/generator-source.ts';
export { SeededRandom } from './connectors/seeded-random.ts';
export { CollectSink, CountSink, PrintSink } from './connectors/collect-sink.ts';
export { TransactionalCollectSink } from './connectors/transactional-collect-sink.ts';
export { fileSource, type FileSourceOptions } from './connectors/file-source.ts';
export { fileSink, type FileSinkOptions } from './connectors/file-sink.ts';
export { postgresSink, type PostgresSinkOptions } from './connectors/postgres-sink.ts';
export { jetStreamSource, type JetStreamSourceOptions } from './connectors/jetstream-source.ts';
export { jetStreamSink, type JetStreamSinkOptions } from './connectors/jetstream-sink.ts';
export { natsSource, natsSink, type NatsSourceOptions, type NatsSinkOptions } from './connectors/nats-core.ts';
export { connectNats, type NatsConnectOptions } from './cluster/nats-connect.ts';
export { startNode, type NodeOptions, type NodeAgent } from './cluster/node-agent.ts';
export { connectCluster, type ClusterClient, type SubmitOptions } from './cluster/cluster-client.ts';
export type { JobRecord, JobStatus, NodeRecord, RunRecord } from './cluster/cluster-state.ts';
export type { CheckpointConfig, CheckpointMetadata } from './checkpoint/coordinator.ts';
export type { RestartStrategy } from './checkpoint/restart-strategy.ts';
export { latestCheckpoint } from './checkpoint/job-recovery.ts';

export { startTracingWorker, type TracingWorker, type TracingWorkerOptions, type TracingWorkerStats, type ExporterSpec } from './telemetry/tracing-worker.ts';

export type { Clock } from './time/clock.ts';
export { systemClock, SimulatedClock } from './time/clock.ts';

export type { DeadLetter } from './runtime/dead-letter.ts';
export type { SupervisionOptions, SupervisionConfig, SupervisionStrategy, ChildKind, BackoffOptions } from './runtime/supervisor.ts';
export type { SnapshotStore } from './checkpoint/stores/snapshot-store.ts';
export { MemorySnapshotStore } from './checkpoint/stores/memory-store.ts';
export { DirectorySnapshotStore } from './checkpoint/stores/directory-store.ts';
export { InspectionBus, type InspectionEvent, type InspectionListener } from './runtime/inspection.ts';

export {
  errors,
  WeirError,
  UserFunctionError,
  RestartIntensityError,
  PoisonRecordError,
  JobFailedError,
  JobCancelledError,
  StateNotSerializableError,
  SnapshotCorruptError,
  SnapshotStoreError,
  BadFrameError,
  BadRecordError,
  InvalidJobError,
  SequenceGapError,
  ConnectionError,
  TracingWorkerError,
  type ErrorSite,
} from './errors.ts';

// Status views (issue 18 live job view, issue 20 dashboard): job status model, NATS status feed, web dashboard.
export { watchJobs, type JobWatch } from './status/job-watcher.ts';
export type { LiveJobStatus, ActorStatus, CheckpointEntry, RestartEntry, DeadLetterEntry } from './status/job-status.ts';
export type { JobGraph } from './runtime/job.ts';
export { statusPublisher, followStatus, statusSubject } from './status/nats-status.ts';
export { recordPreview } from './status/record-preview.ts';
export { startDashboard, type Dashboard, type DashboardOptions } from './dashboard/server.ts';
// ---- Table API and SQL (src/table/)
export { TableEnvironment, type Table, type TableResult, type TableSchemaSpec, type FromDataStreamOptions, type ExecuteOptions } from './table/table-environment.ts';
export { materialize, type Change, type RowKind } from './table/changelog.ts';
export { postgresUpsertSink, type PostgresUpsertSinkOptions } from './table/upsert-sink.ts';
export type { Row, SqlValue } from './table/schema.ts';
export { SqlError } from './errors.ts';
// ---- Security: encryption at rest, signed job bundles, tenant permissions ----
export { encryptedSnapshotStore, encryptAtRest } from './security/encrypted-store.ts';
export { parseStateKeys, staticStateKeys, stateKeysFromEnv, type StateKeyProvider, type DataKey } from './security/state-keys.ts';
export { sealBlob, openBlob, isSealed } from './security/blob-cipher.ts';
export { signBundle, verifyBundle, newSigningKey } from './security/bundle-signing.ts';
export { tenantPermissions, permissionsConfig, permissionsVariable, tenantInbox, type TenantPermissions, type RolePermissions } from './security/permissions.ts';
export { StateKeyError, BlobRejectedError, BundleRejectedError } from './errors.ts';
// ---- state backends (issue 22) ----
export type { StateBackendOption } from './state/backends/state-backend-option.ts';
export type { LmdbBackendOptions } from './state/backends/lmdb-state-maps.ts';
// ---- wave3-security (issue 19: replay-safe signatures, connector permissions, accounts per tenant) ----
export { acceptBundleSequence, acceptedBucket, type AcceptedBundle } from './security/bundle-replay.ts';
export { DEFAULT_VALIDITY_MS, type SignedClaims, type SignOptions } from './security/bundle-signing.ts';
export { tenantStagingStream, type ConnectorGrants } from './security/permissions.ts';
export { accountsConfig, passwordVariable, SYSTEM_ACCOUNT, type AccountLimits } from './security/tenant-accounts.ts';
// ---- wave3-fencing: attempt epochs and fencing of clustered jobs ----
export { StaleAttemptError } from './errors.ts';
export type { AttemptFence } from './runtime/attempt-fence.ts';
