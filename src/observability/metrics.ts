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
  readonly allocationSeconds: Histogram<'group'>;
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
    allocationSeconds: new Histogram({
      name: 'flexbridge_allocation_seconds',
      help: 'Time to compute one group plan',
      labelNames: ['group'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
      registers,
    }),
  };
}
