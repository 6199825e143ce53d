// Prometheus metrics of one agent (prom-client), on a registry of its own so tests can run several agents.
// Adapters and core update them through this object; src/api serves the registry at /metrics.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  readonly registry: Registry;
  readonly stationsConnected: Gauge;
  readonly sessionsActive: Gauge<'group'>;
  readonly groupCapacityA: Gauge<'group'>;
  readonly groupAllocatedA: Gauge<'group'>;
  readonly groupMeasuredA: Gauge<'group'>;
  readonly groupFallback: Gauge<'group'>;
  readonly oscpMessages: Counter<'direction' | 'type' | 'status'>;
  readonly ocppCalls: Counter<'direction' | 'action' | 'result'>;
  readonly commandQueueDepth: Gauge;
  /** Local Controller mode: stations whose upstream twin to the CSMS is open. */
  readonly upstreamConnected: Gauge;
  /** Local Controller mode: station messages waiting for the CSMS (durable queue), all stations. */
  readonly upstreamQueueDepth: Gauge;
  /** Local Controller mode: messages relayed, by direction (station-to-csms, csms-to-station) and how they ended. */
  readonly relayedMessages: Counter<'direction' | 'result'>;
  readonly allocationSeconds: Histogram<'group'>;
  /** Failed authentications by port (ocpp, oscp, api). */
  readonly authFailures: Counter<'port'>;
  /** Attempts refused unchecked by the failed-authentication back-off, by port and what was throttled (address, identity). */
  readonly authThrottled: Counter<'port' | 'scope'>;
  /** OCPP sockets or upgrades refused by admission: connections_per_address, upgrades_in_progress, upgrade_timeout. */
  readonly ocppAdmissionRefused: Counter<'reason'>;
  /** Malformed OCPP frames received, and connections closed for too many in a row (result: answered, disconnected). */
  readonly ocppBadMessages: Counter<'result'>;
  /** Full collections run by the idle heap trim, and how long each stopped the event loop. */
  readonly heapTrimSeconds: Histogram;
  /** Heap in use the last trim freed, bytes. */
  readonly heapTrimFreedBytes: Gauge;
  /** 1 while a trim or a follow-up pass is due but not yet run (the agent busy, or the last trim too recent). */
  readonly heapTrimDue: Gauge;
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'flexbridge_process_' });
  const registers = [registry];
  return {
    registry,
    stationsConnected: new Gauge({ name: 'flexbridge_stations_connected', help: 'Stations with an open OCPP connection', registers }),
    sessionsActive: new Gauge({
      name: 'flexbridge_sessions_active',
      help: 'Charging sessions not yet ended',
      labelNames: ['group'],
      registers,
    }),
    groupCapacityA: new Gauge({
      name: 'flexbridge_group_capacity_amps',
      help: 'Capacity in force per phase (lowest phase), A',
      labelNames: ['group'],
      registers,
    }),
    groupAllocatedA: new Gauge({
      name: 'flexbridge_group_allocated_amps',
      help: 'Sum of limits in force on the busiest phase, A',
      labelNames: ['group'],
      registers,
    }),
    groupMeasuredA: new Gauge({
      name: 'flexbridge_group_measured_amps',
      help: 'Measured draw on the busiest phase, A',
      labelNames: ['group'],
      registers,
    }),
    groupFallback: new Gauge({
      name: 'flexbridge_group_fallback',
      help: '1 while the group runs on fallback capacity',
      labelNames: ['group'],
      registers,
    }),
    oscpMessages: new Counter({
      name: 'flexbridge_oscp_messages_total',
      help: 'OSCP messages by direction, type and HTTP status',
      labelNames: ['direction', 'type', 'status'],
      registers,
    }),
    ocppCalls: new Counter({
      name: 'flexbridge_ocpp_calls_total',
      help: 'OCPP calls by direction, action and result',
      labelNames: ['direction', 'action', 'result'],
      registers,
    }),
    commandQueueDepth: new Gauge({ name: 'flexbridge_command_queue_depth', help: 'OCPP commands waiting in station queues', registers }),
    upstreamConnected: new Gauge({
      name: 'flexbridge_upstream_connected',
      help: 'Local Controller mode: stations whose connection to the CSMS is open',
      registers,
    }),
    upstreamQueueDepth: new Gauge({
      name: 'flexbridge_upstream_queue_depth',
      help: 'Local Controller mode: station messages queued for the CSMS while it is unreachable',
      registers,
    }),
    relayedMessages: new Counter({
      name: 'flexbridge_relayed_messages_total',
      help: 'Local Controller mode: OCPP messages relayed, by direction and result',
      labelNames: ['direction', 'result'],
      registers,
    }),
    allocationSeconds: new Histogram({
      name: 'flexbridge_allocation_seconds',
      help: 'Time to compute one group plan',
      labelNames: ['group'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
      registers,
    }),
    authFailures: new Counter({
      name: 'flexbridge_auth_failures_total',
      help: 'Failed authentications by port (ocpp, oscp, api)',
      labelNames: ['port'],
      registers,
    }),
    authThrottled: new Counter({
      name: 'flexbridge_auth_throttled_total',
      help: 'Attempts refused (429) by the failed-authentication back-off without checking the credential, by port and scope',
      labelNames: ['port', 'scope'],
      registers,
    }),
    ocppAdmissionRefused: new Counter({
      name: 'flexbridge_ocpp_admission_refused_total',
      help: 'OCPP sockets or upgrades refused by admission, by reason',
      labelNames: ['reason'],
      registers,
    }),
    ocppBadMessages: new Counter({
      name: 'flexbridge_ocpp_bad_messages_total',
      help: 'Malformed OCPP frames (answered) and connections closed for too many in a row (disconnected)',
      labelNames: ['result'],
      registers,
    }),
    heapTrimSeconds: new Histogram({
      name: 'flexbridge_heap_trim_seconds',
      help: 'Full garbage collections run by the idle heap trim, by how long each stopped the event loop',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2],
      registers,
    }),
    heapTrimFreedBytes: new Gauge({
      name: 'flexbridge_heap_trim_freed_bytes',
      help: 'Heap in use freed by the last idle heap trim, bytes',
      registers,
    }),
    heapTrimDue: new Gauge({
      name: 'flexbridge_heap_trim_due',
      help: '1 while an idle heap trim or one of its passes is due but not yet run',
      registers,
    }),
  };
}
