// The electrical step every simulated station shares, whatever OCPP version it speaks: the energy drawn since the
// last settle, then the composite limit shared over the EVSEs, what each EV draws, and the change-only draw log.
import type { ActiveTransaction, CompositeAt } from './composite';
import { chargedSocPercent, evDrawA, type EvModel } from './ev';
import type { LimitLog } from './limit-log';
import { shareStationLimit } from './power-sharing';

/** What the electrical step reads and writes of one EVSE (2.0.1) or connector (1.6). */
export interface DrawingEvse {
  readonly evseId: number;
  ev: EvModel | undefined;
  readonly transaction: ActiveTransaction | undefined;
  energyWh: number;
  offeredA: number;
  offeredPhases: number;
  drawnA: [number, number, number];
  readonly log: LimitLog;
}

/** Add the energy drawn over `elapsedH` hours at the currents drawn until now, and charge the EVs with it. */
export function addEnergy(evses: Iterable<DrawingEvse>, voltageV: number, elapsedH: number): void {
  for (const evse of evses) {
    const energyWh = (evse.drawnA[0] + evse.drawnA[1] + evse.drawnA[2]) * voltageV * elapsedH;
    evse.energyWh += energyWh;
    if (evse.ev) evse.ev = { ...evse.ev, socPercent: chargedSocPercent(evse.ev, energyWh) };
  }
}

export interface EvseDraw<E extends DrawingEvse> {
  readonly evse: E;
  /** Current drawn per phase from now on. */
  readonly drawA: number;
  /** The offered current or phase count changed. */
  readonly rateChanged: boolean;
}

/**
 * Apply the composite in force at `atMs`: share the station cap (water-filling), let each EV with a transaction
 * draw, and log every change. Returns, per EVSE in order, what it draws now.
 */
export function applyComposite<E extends DrawingEvse>(
  evses: readonly E[],
  composite: CompositeAt,
  supplyPhases: number,
  atMs: number,
): EvseDraw<E>[] {
  const demands = evses.map((evse) => {
    const limit = composite.evses.get(evse.evseId);
    const limitA = limit?.limitA ?? 0;
    return { evseId: evse.evseId, limitA, wantA: evse.ev && evse.transaction ? evDrawA(evse.ev, limitA) : 0 };
  });
  const offered = shareStationLimit(demands, composite.station.limitA);
  return evses.map((evse) => {
    const offeredA = offered.get(evse.evseId) ?? 0;
    const offeredPhases = composite.evses.get(evse.evseId)?.numberPhases ?? supplyPhases;
    const drawA = evse.ev && evse.transaction ? evDrawA(evse.ev, offeredA) : 0;
    const drawPhases = evse.ev ? Math.min(evse.ev.phases, offeredPhases) : 0;
    const rateChanged = offeredA !== evse.offeredA || offeredPhases !== evse.offeredPhases;
    evse.offeredA = offeredA;
    evse.offeredPhases = offeredPhases;
    evse.drawnA = [drawA, drawPhases >= 2 ? drawA : 0, drawPhases >= 3 ? drawA : 0];
    evse.log.record({
      atMs,
      limitA: [offeredA, offeredPhases >= 2 ? offeredA : 0, offeredPhases >= 3 ? offeredA : 0],
      drawnA: evse.drawnA,
    });
    return { evse, drawA, rateChanged };
  });
}
