// Turns core's protocol-neutral limit requests into OCPP 2.0.1 SetChargingProfile requests, following the
// profile layout of the OCPP digest §6.7: standing limits at stack 0 forever, live limits at stack 1 on a lease.
import type { LeasedSchedule, SessionLimit, StationLimitRequest } from '../../core/ports';
import { floorToTenth } from '../../domain/electrical';

/** Stable profile ids per slot (K01.FR.05: resending an id replaces the profile); a private high range. */
export const PROFILE_IDS = {
  standingStationMax: 9_100_001,
  standingTxDefault: 9_100_002,
  liveStationMax: 9_100_003,
  /** + evseId */
  liveTxProfileBase: 9_100_100,
} as const;

/** flexbridge's whole id range: a CSMS profile (Local Controller mode) may never use one of these. */
export function isFlexbridgeProfileId(id: number): boolean {
  return id >= 9_100_000 && id < 9_101_000;
}

/**
 * Where flexbridge's profiles sit and what they are folded with. Direct mode: standing at stack 0, live at 1, no fold.
 * Local Controller mode: the station's top two levels, each limit the min of the grid share and the CSMS's limit.
 */
export interface ProfileLayout {
  readonly standingStack: number;
  readonly liveStack: number;
  readonly fold?: {
    readonly stationCapA?: number;
    readonly txDefaultA?: number;
    txLimitA(transactionId: string): number | undefined;
  };
}

export const DIRECT_LAYOUT: ProfileLayout = { standingStack: 0, liveStack: 1 };

/** Where a standing Absolute schedule starts: far enough back to be in force whatever the station clock says. */
const STANDING_START = '2020-01-01T00:00:00.000Z';

export interface ChargingSchedulePeriod {
  startPeriod: number;
  limit: number;
}

export interface ChargingProfile {
  id: number;
  stackLevel: number;
  chargingProfilePurpose: 'ChargingStationMaxProfile' | 'TxDefaultProfile' | 'TxProfile';
  chargingProfileKind: 'Absolute';
  transactionId?: string;
  chargingSchedule: [
    { id: number; startSchedule: string; duration?: number; chargingRateUnit: 'A'; chargingSchedulePeriod: ChargingSchedulePeriod[] },
  ];
}

export interface SetChargingProfileRequest {
  evseId: number;
  chargingProfile: ChargingProfile;
}

function absolute(
  id: number,
  stackLevel: number,
  purpose: ChargingProfile['chargingProfilePurpose'],
  startIso: string,
  periods: ChargingSchedulePeriod[],
  durationS?: number,
  transactionId?: string,
): ChargingProfile {
  return {
    id,
    stackLevel,
    chargingProfilePurpose: purpose,
    chargingProfileKind: 'Absolute',
    ...(transactionId === undefined ? {} : { transactionId }),
    chargingSchedule: [
      {
        id: 1,
        startSchedule: startIso,
        ...(durationS === undefined ? {} : { duration: durationS }),
        chargingRateUnit: 'A',
        chargingSchedulePeriod: periods,
      },
    ],
  };
}

/** Periods relative to the first one, whole seconds (K01.FR.31: first startPeriod is 0), one-decimal limits rounded down. */
function leased(schedule: LeasedSchedule): { startIso: string; durationS: number; periods: ChargingSchedulePeriod[] } {
  const first = schedule.periods[0];
  const startMs = Math.floor((first?.startMs ?? schedule.leaseEndMs) / 1000) * 1000;
  const periods: ChargingSchedulePeriod[] = [];
  for (const period of schedule.periods) {
    const limit = floorToTenth(Math.max(0, period.limitA));
    const last = periods[periods.length - 1];
    // Whole seconds only: a decrease starts at or before its instant, an increase at or after it (never early).
    const offsetS = (period.startMs - startMs) / 1000;
    const startPeriod = !last ? 0 : Math.max(0, limit < last.limit ? Math.floor(offsetS) : Math.ceil(offsetS));
    if (last && last.startPeriod === startPeriod) last.limit = Math.min(last.limit, limit);
    else if (!last || last.limit !== limit) periods.push({ startPeriod, limit });
  }
  if (periods.length === 0) periods.push({ startPeriod: 0, limit: 0 });
  return { startIso: new Date(startMs).toISOString(), durationS: Math.max(1, Math.floor((schedule.leaseEndMs - startMs) / 1000)), periods };
}

export interface LimitProfileOptions {
  /**
   * When set, a station's only session is held by the station cap alone: its TxProfile is a lift to this limit (the
   * EVSE's maximum), without a lease, sent once per transaction; later changes send the cap only (one call, not two).
   */
  readonly loneSessionLiftA?: number;
}

/**
 * Standing: ChargingStationMaxProfile and TxDefaultProfile at evse 0, stack 0, no duration — what a station keeps
 * when it loses us. Live: a leased ChargingStationMaxProfile at stack 1 plus one leased TxProfile per session, all
 * expiring together into the standing ones. Station caps go first so a session never outruns its station's cap.
 * A lone session (with `loneSessionLiftA`) gets a lift instead: the cap, its sum, is its limit; when the cap's lease
 * runs out the standing ChargingStationMaxProfile holds the whole station, so the lift needs no lease of its own.
 */
export function limitProfiles(
  request: StationLimitRequest,
  layout: ProfileLayout = DIRECT_LAYOUT,
  options: LimitProfileOptions = {},
): SetChargingProfileRequest[] {
  const { fold } = layout;
  if (request.kind === 'standing') {
    const limitA = floorToTenth(Math.max(0, request.limitA));
    const cap = [{ startPeriod: 0, limit: capAt(limitA, fold?.stationCapA) }];
    const txDefault = [{ startPeriod: 0, limit: capAt(limitA, fold?.txDefaultA) }];
    return [
      {
        evseId: 0,
        chargingProfile: absolute(PROFILE_IDS.standingStationMax, layout.standingStack, 'ChargingStationMaxProfile', STANDING_START, cap),
      },
      {
        evseId: 0,
        chargingProfile: absolute(PROFILE_IDS.standingTxDefault, layout.standingStack, 'TxDefaultProfile', STANDING_START, txDefault),
      },
    ];
  }
  const cap = leased(request.stationCap);
  const lone = request.sessions.length === 1 ? request.sessions[0] : undefined;
  if (lone && options.loneSessionLiftA !== undefined) {
    // The station cap is the session's limit (it is the sum of one): the TxProfile only lifts the session above the
    // standing TxDefaultProfile, without a lease, and stays while the cap alone changes (`isLift`).
    const liftA = floorToTenth(Math.max(0, options.loneSessionLiftA));
    return [liveCap(cap, layout), txProfile(lone, layout, cap.startIso, [{ startPeriod: 0, limit: liftA }])];
  }
  return [
    liveCap(cap, layout),
    ...request.sessions.map((session) => {
      const tx = leased(session.schedule);
      return txProfile(session, layout, tx.startIso, tx.periods, tx.durationS);
    }),
  ];
}

/** A session's TxProfile at the live level, folded with the CSMS's limit of its transaction (or its TxDefault). */
function txProfile(
  session: SessionLimit,
  layout: ProfileLayout,
  startIso: string,
  periods: ChargingSchedulePeriod[],
  durationS?: number,
): SetChargingProfileRequest {
  const { fold } = layout;
  return {
    evseId: session.evseId,
    chargingProfile: absolute(
      PROFILE_IDS.liveTxProfileBase + session.evseId,
      layout.liveStack,
      'TxProfile',
      startIso,
      folded(periods, fold?.txLimitA(session.transactionId) ?? fold?.txDefaultA),
      durationS,
      session.transactionId,
    ),
  };
}

/** The leased ChargingStationMaxProfile one level above the standing one. */
function liveCap(cap: ReturnType<typeof leased>, layout: ProfileLayout): SetChargingProfileRequest {
  return {
    evseId: 0,
    chargingProfile: absolute(
      PROFILE_IDS.liveStationMax,
      layout.liveStack,
      'ChargingStationMaxProfile',
      cap.startIso,
      folded(cap.periods, layout.fold?.stationCapA),
      cap.durationS,
    ),
  };
}

/** A lone session's TxProfile that lifts it to the station cap: no lease, one period (see `limitProfiles`). */
export function isLift(profile: ChargingProfile): boolean {
  return profile.chargingProfilePurpose === 'TxProfile' && profile.chargingSchedule[0].duration === undefined;
}

/** A limit folded with a CSMS limit: never above it (one decimal, rounded down). */
function capAt(limitA: number, csmsA: number | undefined): number {
  return csmsA === undefined ? limitA : Math.min(limitA, floorToTenth(csmsA));
}

function folded(periods: ChargingSchedulePeriod[], csmsA: number | undefined): ChargingSchedulePeriod[] {
  return csmsA === undefined ? periods : periods.map((p) => ({ ...p, limit: capAt(p.limit, csmsA) }));
}
