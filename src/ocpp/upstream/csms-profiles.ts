// Grid authority over the CSMS's charging profiles (Local Controller digest §4): flexbridge owns the top two stack
// levels and its id range; CSMS profiles aimed there are shifted below, and every CSMS limit is folded into ours.
import { z } from 'zod';
import { isFlexbridgeProfileId } from '../v201/limit-profiles';

/** flexbridge's reserved stack levels for a station: the live lease on top, the standing limit just below. */
export interface ProfileStacks {
  readonly standing: number;
  readonly live: number;
}

/** The top two levels the station supports (its ProfileStackLevel); a station with fewer keeps 0 and 1. */
export function flexbridgeStacks(profileStackLevel: number): ProfileStacks {
  const live = Math.max(1, profileStackLevel);
  return { standing: live - 1, live };
}

/** A CSMS profile the station accepted, as flexbridge folds it: its lowest limit in amps per phase, until it ends. */
const ShadowProfile = z.object({
  id: z.number().int(),
  evseId: z.number().int(),
  purpose: z.string(),
  stackLevel: z.number().int(),
  transactionId: z.string().optional(),
  minLimitA: z.number(),
  /** validTo, or the end of an Absolute schedule with a duration; epoch ms. */
  endsAtMs: z.number().optional(),
});
type ShadowProfile = z.infer<typeof ShadowProfile>;

/** What the CSMS limits, folded into flexbridge's own profiles: installed = min(grid share, CSMS limit). */
export interface CsmsFold {
  readonly stationCapA?: number;
  readonly txDefaultA?: number;
  txLimitA(transactionId: string): number | undefined;
}

const Period = z.object({ limit: z.number(), numberPhases: z.number().int().optional() }).loose();
const Profile = z
  .object({
    id: z.number().int(),
    stackLevel: z.number().int().min(0),
    chargingProfilePurpose: z.string(),
    chargingProfileKind: z.string().optional(),
    transactionId: z.string().optional(),
    validTo: z.string().optional(),
    chargingSchedule: z
      .array(
        z
          .object({
            chargingRateUnit: z.enum(['A', 'W']),
            chargingSchedulePeriod: z.array(Period).min(1),
            startSchedule: z.string().optional(),
            duration: z.number().optional(),
          })
          .loose(),
      )
      .min(1),
  })
  .loose();
const SetRequest = z.object({ evseId: z.number().int(), chargingProfile: Profile }).loose();
const ClearRequest = z
  .object({
    chargingProfileId: z.number().int().optional(),
    chargingProfileCriteria: z
      .object({
        evseId: z.number().int().optional(),
        chargingProfilePurpose: z.string().optional(),
        stackLevel: z.number().int().optional(),
      })
      .loose()
      .optional(),
  })
  .loose();

const RemoteStart = z
  .object({
    chargingProfile: z
      .object({ stackLevel: z.number().int().min(0) })
      .loose()
      .optional(),
  })
  .loose();

/** What to do with a CSMS CALL before it reaches the station. */
export type Interception =
  | { readonly kind: 'forward'; readonly payload: unknown; readonly accepted?: () => void }
  /** Answered by flexbridge itself (e.g. a clear aimed at flexbridge's own profile answers Unknown). */
  | { readonly kind: 'answer'; readonly payload: object }
  /** A clear split into clears by id of the CSMS's own profiles only (never flexbridge's). */
  | { readonly kind: 'clear-each'; readonly ids: readonly number[] }
  | { readonly kind: 'refuse'; readonly code: string; readonly description: string };

const VOLTAGE_V = 230;

/**
 * The CSMS's profiles on one station, as far as flexbridge relayed them (the only record in 1.6; kept for 2.0.1 too),
 * and the fold they impose. Ids that would collide with flexbridge's range are remapped and remembered.
 */
export interface GuardHooks {
  readonly stacks: () => ProfileStacks;
  readonly nowMs: () => number;
  /** The fold changed: flexbridge's own limits must be sent again, folded. */
  readonly refold: () => void;
  /** A CSMS limit was accepted by the station (flexbridge reports one above the grid share). */
  readonly accepted?: (profile: { id: number; purpose: string; limitA: number }) => void;
  /** The shadow changed: kept across reconnects and restarts, so the fold is never lost. */
  readonly save?: (profiles: unknown) => void;
}

export class CsmsProfileGuard implements CsmsFold {
  private readonly shadow = new Map<number, ShadowProfile>();

  /** `saved`: what an earlier connection or run recorded (anything unreadable is dropped). */
  constructor(
    private readonly hooks: GuardHooks,
    saved?: unknown,
  ) {
    // One unreadable entry loses that entry only, never the whole fold.
    for (const entry of Array.isArray(saved) ? saved : []) {
      const restored = ShadowProfile.safeParse(entry);
      if (restored.success) this.shadow.set(restored.data.id, restored.data);
    }
  }

  get stationCapA(): number | undefined {
    return this.lowest((p) => p.purpose === 'ChargingStationMaxProfile');
  }

  get txDefaultA(): number | undefined {
    return this.lowest((p) => p.purpose === 'TxDefaultProfile');
  }

  txLimitA(transactionId: string): number | undefined {
    return this.lowest((p) => p.purpose === 'TxProfile' && p.transactionId === transactionId);
  }

  /** The CSMS's SetChargingProfile: shifted below flexbridge's levels, remembered once the station accepts it. */
  setChargingProfile(payload: unknown): Interception {
    const parsed = SetRequest.safeParse(payload);
    if (!parsed.success) {
      // A profile whose level and purpose cannot be read could sit above flexbridge's cap: never forwarded.
      return { kind: 'refuse', code: 'FormatViolation', description: 'SetChargingProfile: chargingProfile unreadable' };
    }
    const { evseId, chargingProfile } = parsed.data;
    if (isFlexbridgeProfileId(chargingProfile.id)) {
      return {
        kind: 'refuse',
        code: 'PropertyConstraintViolation',
        description: `profile id ${chargingProfile.id} is reserved by the Local Controller`,
      };
    }
    const stacks = this.hooks.stacks();
    const stackLevel = Math.min(chargingProfile.stackLevel, stacks.standing - 1);
    const endsAtMs = endOf(chargingProfile);
    const shadow: ShadowProfile = {
      id: chargingProfile.id,
      evseId,
      purpose: chargingProfile.chargingProfilePurpose,
      stackLevel,
      ...(chargingProfile.transactionId !== undefined && { transactionId: chargingProfile.transactionId }),
      minLimitA: lowestAmps(chargingProfile.chargingSchedule),
      ...(endsAtMs !== undefined && { endsAtMs }),
    };
    const accepted = (): void => {
      this.shadow.set(shadow.id, shadow);
      this.changed();
      this.hooks.accepted?.({ id: shadow.id, purpose: shadow.purpose, limitA: shadow.minLimitA });
    };
    // No level left below flexbridge's (a station with ProfileStackLevel 1): folded only, answered here.
    if (stackLevel < 0) {
      accepted();
      return { kind: 'answer', payload: { status: 'Accepted' } };
    }
    return { kind: 'forward', payload: { ...parsed.data, chargingProfile: { ...chargingProfile, stackLevel } }, accepted };
  }

  /**
   * A remote start carrying a TxProfile (1.6 RemoteStartTransaction, 2.0.1 RequestStartTransaction; LC digest §4):
   * its level is shifted below flexbridge's as a SetChargingProfile's is, so it can never replace or outrank
   * flexbridge's own TxProfile for the new transaction (1.6 replaces silently on the same level and purpose).
   */
  remoteStart(payload: unknown): Interception {
    const parsed = RemoteStart.safeParse(payload);
    if (!parsed.success || parsed.data.chargingProfile === undefined) return { kind: 'forward', payload };
    const { chargingProfile } = parsed.data;
    const stackLevel = Math.max(0, Math.min(chargingProfile.stackLevel, this.hooks.stacks().standing - 1));
    return { kind: 'forward', payload: { ...parsed.data, chargingProfile: { ...chargingProfile, stackLevel } } };
  }

  /** The CSMS's ClearChargingProfile: never removes flexbridge's profiles (never clear-then-reinstall). */
  clearChargingProfile(payload: unknown): Interception {
    const parsed = ClearRequest.safeParse(payload);
    if (!parsed.success) return { kind: 'refuse', code: 'FormatViolation', description: 'ClearChargingProfile unreadable' };
    const { chargingProfileId, chargingProfileCriteria } = parsed.data;
    if (chargingProfileId !== undefined) {
      if (isFlexbridgeProfileId(chargingProfileId)) return { kind: 'answer', payload: { status: 'Unknown' } };
      return { kind: 'forward', payload, accepted: () => this.forget([chargingProfileId]) };
    }
    const criteria = chargingProfileCriteria ?? {};
    const stacks = this.hooks.stacks();
    if (criteria.stackLevel !== undefined && criteria.stackLevel >= stacks.standing)
      return { kind: 'answer', payload: { status: 'Unknown' } };
    // Criteria could match flexbridge's profiles too: clear the CSMS's matching ones by id instead.
    const ids = [...this.shadow.values()]
      .filter(
        (p) =>
          (criteria.evseId === undefined || p.evseId === criteria.evseId) &&
          (criteria.chargingProfilePurpose === undefined || p.purpose === criteria.chargingProfilePurpose) &&
          (criteria.stackLevel === undefined || p.stackLevel === criteria.stackLevel),
      )
      .map((p) => p.id);
    return ids.length === 0 ? { kind: 'answer', payload: { status: 'Unknown' } } : { kind: 'clear-each', ids };
  }

  /** Profiles the station no longer holds (cleared). */
  forget(ids: readonly number[]): void {
    let changed = false;
    for (const id of ids) changed = this.shadow.delete(id) || changed;
    if (changed) this.changed();
  }

  /** A transaction ended: its TxProfiles went with it (K01: a TxProfile lives as long as its transaction). */
  transactionEnded(transactionId: string): void {
    this.forget([...this.shadow.values()].filter((p) => p.purpose === 'TxProfile' && p.transactionId === transactionId).map((p) => p.id));
  }

  private changed(): void {
    this.hooks.save?.([...this.shadow.values()]);
    this.hooks.refold();
  }

  /** The lowest limit of the CSMS profiles in force now; an ended one (validTo, duration) no longer limits. */
  private lowest(match: (profile: ShadowProfile) => boolean): number | undefined {
    const now = this.hooks.nowMs();
    let lowest: number | undefined;
    for (const profile of this.shadow.values()) {
      if (profile.endsAtMs !== undefined && profile.endsAtMs <= now) continue;
      if (match(profile)) lowest = Math.min(lowest ?? Infinity, profile.minLimitA);
    }
    return lowest;
  }
}

/** When a profile stops limiting: its validTo, or the end of an Absolute schedule's duration, whichever comes first. */
function endOf(profile: {
  readonly validTo?: string;
  readonly chargingProfileKind?: string;
  readonly chargingSchedule: readonly { readonly startSchedule?: string; readonly duration?: number }[];
}): number | undefined {
  const ends: number[] = [];
  if (profile.validTo !== undefined && Number.isFinite(Date.parse(profile.validTo))) ends.push(Date.parse(profile.validTo));
  const schedule = profile.chargingSchedule[0];
  if (profile.chargingProfileKind === 'Absolute' && schedule?.startSchedule !== undefined && schedule.duration !== undefined) {
    // A schema-valid duration can be 1e308 s: that end is never, not Infinity (which the store cannot keep).
    const endMs = Date.parse(schedule.startSchedule) + schedule.duration * 1000;
    if (Number.isFinite(endMs)) ends.push(endMs);
  }
  return ends.length === 0 ? undefined : Math.min(...ends);
}

/** The lowest limit anywhere in the schedule, in amps per phase (W spread over the phases the period names, 1–3, else 3). */
function lowestAmps(
  schedules: readonly { chargingRateUnit: 'A' | 'W'; chargingSchedulePeriod: readonly z.infer<typeof Period>[] }[],
): number {
  let lowest = Infinity;
  for (const schedule of schedules.slice(0, 1)) {
    for (const period of schedule.chargingSchedulePeriod) {
      // numberPhases is any integer on the wire: outside 1–3 it is read as 3, the default (0 would divide by zero).
      const phases = period.numberPhases !== undefined && period.numberPhases >= 1 && period.numberPhases <= 3 ? period.numberPhases : 3;
      const amps = schedule.chargingRateUnit === 'A' ? period.limit : period.limit / (VOLTAGE_V * phases);
      lowest = Math.min(lowest, Math.max(0, amps));
    }
  }
  return lowest;
}
