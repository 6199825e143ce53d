// The soak's time constants, divided by --speed where the clock is the soak's own (CP, stations, CSMS, churn, plan),
// and the agent's configuration file. The agent's own clock stays real: what it reads from config is floored.
import { DateTime } from 'luxon';

export const GROUP = 'soak';
export const MARGIN_A = 5;
export const FALLBACK_A = 300;

export interface SoakTimings {
  readonly speed: number;
  /** Heartbeat interval the FP asks of the CP (peers[].heartbeatIntervalS) and the grace before offline, s (whole, ≥ 1). */
  readonly cpHeartbeatS: number;
  readonly cpOfflineGraceS: number;
  /** What the CP simulator asks the FP for in its handshake, s (1 s is the floor already). */
  readonly fpHeartbeatS: number;
  readonly measurementIntervalS: number;
  /** Station heartbeat (the BootNotification interval of the agent, and of the CSMS in Local Controller mode), s. */
  readonly stationHeartbeatS: number;
  readonly meterIntervalS: number;
  readonly evaluateIntervalS: number;
  readonly backoff: { readonly minS: number; readonly randomS: number; readonly repeatTimes: number };
  readonly churnStepMs: number;
  readonly duplicateHoldMs: number;
  /** Length of one forecast block (15 min at speed 1), whole seconds. */
  readonly forecastBlockS: number;
}

/** A time constant of `realS` seconds accelerated, in whole seconds and at least `floorS` (the config schemas take integers). */
const whole = (realS: number, speed: number, floorS = 1): number => Math.max(floorS, Math.round(realS / speed));

export function soakTimings(speed: number): SoakTimings {
  return {
    speed,
    cpHeartbeatS: whole(2, speed),
    cpOfflineGraceS: whole(2, speed),
    fpHeartbeatS: whole(1, speed),
    measurementIntervalS: whole(10, speed),
    stationHeartbeatS: whole(60, speed),
    meterIntervalS: whole(10, speed),
    evaluateIntervalS: whole(2, speed),
    backoff: { minS: 0.5 / speed, randomS: 2 / speed, repeatTimes: 3 },
    churnStepMs: Math.round(1000 / speed),
    duplicateHoldMs: Math.round(2000 / speed),
    forecastBlockS: whole(15 * 60, speed),
  };
}

/** 96 blocks of flat capacity per phase (24 h at speed 1), from the start of the current block (aligned on the epoch). */
export function flatForecast(
  limitA: number,
  blockS: number,
): { start_time: string; end_time: string; capacity: number; phase: 'ALL'; unit: 'A' }[] {
  const startMs = Math.floor(Date.now() / (blockS * 1000)) * blockS * 1000;
  const iso = (ms: number): string => DateTime.fromMillis(ms, { zone: 'utc' }).toISO({ suppressMilliseconds: true }) ?? '';
  return Array.from({ length: 96 }, (_, i) => ({
    start_time: iso(startMs + i * blockS * 1000),
    end_time: iso(startMs + (i + 1) * blockS * 1000),
    capacity: limitA,
    phase: 'ALL' as const,
    unit: 'A' as const,
  }));
}

export interface AgentConfigInput {
  httpPort: number;
  ocppPort: number;
  dbFile: string;
  bootstrapToken: string;
  timings: SoakTimings;
  /** Local Controller mode: the CSMS every station is relayed to, the stations' own credentials forwarded. */
  upstreamUrl?: string;
}

export function agentConfig(input: AgentConfigInput): Record<string, unknown> {
  const { timings: t } = input;
  const httpUrl = `http://127.0.0.1:${input.httpPort}`;
  return {
    http: { host: '127.0.0.1', port: input.httpPort },
    store: { path: input.dbFile },
    log: { level: 'info' },
    ocpp: {
      host: '127.0.0.1',
      port: input.ocppPort,
      autoRegisterGroup: GROUP,
      callTimeoutMs: 5000,
      heartbeatIntervalS: t.stationHeartbeatS,
      ...(input.upstreamUrl !== undefined && {
        // A relayed call the CSMS leaves unanswered is answered locally well before the stations' own 30 s timeout.
        upstream: { url: input.upstreamUrl, credentials: 'forward', callTimeoutMs: 5000 },
      }),
    },
    oscp: {
      publicBaseUrl: `${httpUrl}/oscp/fp/2.0`,
      peers: [
        {
          id: 'dso',
          bootstrapToken: input.bootstrapToken,
          heartbeatIntervalS: t.cpHeartbeatS,
          offlineGraceS: t.cpOfflineGraceS,
          measurementIntervalS: t.measurementIntervalS,
        },
      ],
    },
    // leaseS stays 120 s: the schema's minimum is 60, and the lease runs on the agent's clock.
    groups: [{ id: GROUP, peerId: 'dso', safeLimitA: FALLBACK_A, safetyMarginA: MARGIN_A, leaseS: 120 }],
  };
}
