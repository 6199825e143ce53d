// Types of shape.js (a plain browser script, also require()d by the unit tests): what the page expects from the API.
// Only the fields the page reads; tolerant where the API may give one number instead of three phases.

export type PhaseValues = readonly (number | null)[] | number;
export type CapacitySource = 'forecast' | 'fallback' | 'safe-default';

export interface GroupSummary {
  id: string;
  name?: string;
  peerId?: string;
  peerState?: string;
  source: CapacitySource;
  capacityA?: PhaseValues;
  gridCapacityA?: PhaseValues;
  operatorCap?: { limitA: number; expiresAt: string };
  allocatedA?: PhaseValues;
  measuredA?: PhaseValues;
  headroomA?: PhaseValues;
}

export interface HistoryPoint {
  at: string;
  source?: CapacitySource;
  capacityA?: PhaseValues;
  allocatedA?: PhaseValues;
  measuredA?: PhaseValues;
}

export interface PlanBlock {
  start: string;
  end: string;
  source?: CapacitySource;
  capacityA?: PhaseValues;
  allocatedA?: PhaseValues;
  headroomA?: PhaseValues;
  operatorCapA?: number;
}

export interface PlanSession {
  transactionId?: string;
  stationId?: string;
  evseId?: number;
  /** A per phase in each block, aligned with the plan's blocks. */
  limitsA?: PhaseValues;
  reason?: string;
}

export interface Plan {
  computedAt?: string;
  source?: CapacitySource;
  blocks?: readonly PlanBlock[];
  sessions?: readonly PlanSession[];
}

/** uPlot aligned data: x in Unix seconds, then capacity on forecast, on fallback/safe default, allocated, measured, operator cap. */
export type ChartColumns = [number[], (number | null)[], (number | null)[], (number | null)[], (number | null)[], (number | null)[]];

export interface Badge {
  text: string;
  capped: boolean;
  title: string;
}

export interface Banner {
  level: 'fallback' | 'safe-default';
  text: string;
}

/** The parts of the API's StationSummary the page shows. */
export interface Station {
  id: string;
  connected?: boolean;
  bootStatus?: string;
  protocol?: string;
  controllable?: boolean;
  paused?: boolean;
  stationMaxCurrentA?: number;
  limits?: { standingA?: number; inForceA?: number; live?: { leaseEnd: string; periods: readonly { start: string; limitA: number }[] } };
  sessions?: number;
  pendingReason?: string;
  unresponsive?: { timeouts: number; retryAt: string };
  upstream?: { state: string; reason?: string; since: string; queueDepth: number; replayLagMs?: number };
}

export interface StationRow {
  id: string;
  connection: 'online' | 'offline' | 'unknown';
  protocol: string;
  controllable: 'yes' | 'no' | '–';
  /** What the lease ledger proves the station may draw now. */
  inForce: string;
  /** The acknowledged live lease's limit now, and its end. */
  live: string;
  standing: string;
  maximum: string;
  sessions: string;
  notes: string;
}

export interface SessionRow {
  transactionId: string;
  station: string;
  limit: string;
  reason: string;
}

export const PHASES: readonly ['L1', 'L2', 'L3'];
export const REFRESH_EVENTS: readonly string[];
export function toSeconds(iso: string | number): number | undefined;
export function formatTime(value: string | number): string;
export function formatDateTime(value: string | number): string;
export function timeZoneName(nowS: number): string;
export function defaultWindow(nowS: number): { min: number; max: number };
export function badgeFor(group: GroupSummary | undefined): Badge;
export function phaseValue(values: unknown, phase: number): number | null;
export function tightestPhase(group: GroupSummary | undefined): number;
export function chartColumns(
  history: readonly HistoryPoint[] | undefined,
  plan: Plan | undefined,
  phase: number,
  nowS: number,
): ChartColumns;
export function countValues(column: readonly (number | null)[]): number;
export function formatAmps(values: unknown): string;
export function bannerFor(group: GroupSummary | undefined): Banner | null;
export function stationRows(stations: readonly Station[] | undefined, nowS: number): StationRow[];
export function sessionRows(plan: Plan | undefined, nowS: number): SessionRow[];
export function eventGroupId(data: unknown): string | undefined;
