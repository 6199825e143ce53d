// The CSMS's OCPP 1.6 profile calls in the shape the profile guard reads (2.0.1's), and its decision back in 1.6
// terms (1.6 digest §3.4, §7; LC digest §4): ChargePointMaxProfile is the station cap, connector is EVSE, and an
// empty ClearChargingProfile — which in 1.6 clears everything, flexbridge's cap too — becomes clears by id.
import { z } from 'zod';
import type { Interception } from './csms-profiles';

const Profile16 = z
  .object({
    chargingProfileId: z.number().int(),
    transactionId: z.number().int().optional(),
    stackLevel: z.number().int().min(0),
    chargingProfilePurpose: z.string(),
    chargingProfileKind: z.string().optional(),
    validTo: z.string().optional(),
    chargingSchedule: z.object({}).loose(),
  })
  .loose();
const Set16 = z.object({ connectorId: z.number().int().min(0), csChargingProfiles: Profile16 }).loose();
const Clear16 = z
  .object({
    id: z.number().int().optional(),
    connectorId: z.number().int().optional(),
    chargingProfilePurpose: z.string().optional(),
    stackLevel: z.number().int().optional(),
  })
  .loose();

const purpose201 = (purpose: string): string => (purpose === 'ChargePointMaxProfile' ? 'ChargingStationMaxProfile' : purpose);

/** A 1.6 SetChargingProfile as the guard reads it; undefined when unreadable (the guard refuses that). */
export function setAs201(payload: unknown): unknown {
  const parsed = Set16.safeParse(payload);
  if (!parsed.success) return undefined;
  const { connectorId, csChargingProfiles: p } = parsed.data;
  return {
    evseId: connectorId,
    chargingProfile: {
      ...p,
      id: p.chargingProfileId,
      chargingProfilePurpose: purpose201(p.chargingProfilePurpose),
      ...(p.transactionId !== undefined && { transactionId: String(p.transactionId) }),
      chargingSchedule: [p.chargingSchedule],
    },
  };
}

/** The guard's decision on a 1.6 SetChargingProfile: forwarded as the CSMS sent it, at the level the guard chose. */
export function setBack16(original: unknown, interception: Interception): Interception {
  if (interception.kind !== 'forward') return interception;
  const parsed = Set16.safeParse(original);
  const forwarded = z
    .object({ chargingProfile: z.object({ stackLevel: z.number().int() }).loose() })
    .loose()
    .safeParse(interception.payload);
  if (!parsed.success || !forwarded.success)
    return { kind: 'refuse', code: 'FormationViolation', description: 'SetChargingProfile unreadable' };
  const payload = {
    ...parsed.data,
    csChargingProfiles: { ...parsed.data.csChargingProfiles, stackLevel: forwarded.data.chargingProfile.stackLevel },
  };
  return { ...interception, payload };
}

/** A 1.6 ClearChargingProfile as the guard reads it: by id, or by criteria — none at all being "everything". */
export function clearAs201(payload: unknown): unknown {
  const parsed = Clear16.safeParse(payload);
  if (!parsed.success) return undefined;
  const { id, connectorId, chargingProfilePurpose, stackLevel } = parsed.data;
  if (id !== undefined) return { chargingProfileId: id };
  return {
    chargingProfileCriteria: {
      ...(connectorId !== undefined && { evseId: connectorId }),
      ...(chargingProfilePurpose !== undefined && { chargingProfilePurpose: purpose201(chargingProfilePurpose) }),
      ...(stackLevel !== undefined && { stackLevel }),
    },
  };
}

/** A clear by id in 1.6 terms. */
export function clearById16(id: number): object {
  return { id };
}
