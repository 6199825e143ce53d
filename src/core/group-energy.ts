// The energy register of each group: the sum of what its charging sessions drew, kept monotonic and durable.
// O(1) per meter reading; totals are persisted in batches (flush per tick), reported to the grid by OSCP.
import type { GroupId } from '../domain/group';
import type { KeyValueRepository } from './ports';

const KEY_PREFIX = 'group-energy:';

interface SessionReading {
  groupId: GroupId;
  meterWh: number;
}

/**
 * `record(transactionId, groupId, meterWh)` takes each Energy.Active.Import.Register reading of a session.
 * The first reading of a session is its baseline; later readings add their difference to the group. A reading
 * below the previous one (meter reset, replaced station) becomes the new baseline and adds nothing.
 */
export class GroupEnergyRegister {
  private readonly totals = new Map<GroupId, number>();
  private readonly lastReading = new Map<string, SessionReading>();
  private readonly dirty = new Set<GroupId>();

  constructor(private readonly kv: KeyValueRepository) {}

  record(transactionId: string, groupId: GroupId, meterWh: number): void {
    if (!Number.isFinite(meterWh) || meterWh < 0) return;
    const previous = this.lastReading.get(transactionId);
    if (!previous) {
      this.lastReading.set(transactionId, { groupId, meterWh });
      return;
    }
    // Updated in place: a record replaced per reading would outlive the young generation at fleet scale.
    const counts = previous.groupId === groupId && meterWh > previous.meterWh;
    const addedWh = meterWh - previous.meterWh;
    previous.groupId = groupId;
    previous.meterWh = meterWh;
    if (!counts) return;
    this.totals.set(groupId, this.totalWh(groupId) + addedWh);
    this.dirty.add(groupId);
  }

  /** Seeds a session's baseline without counting (a resumed session after restart, or a Started reading). */
  baseline(transactionId: string, groupId: GroupId, meterWh: number): void {
    if (Number.isFinite(meterWh) && meterWh >= 0 && !this.lastReading.has(transactionId))
      this.lastReading.set(transactionId, { groupId, meterWh });
  }

  sessionEnded(transactionId: string): void {
    this.lastReading.delete(transactionId);
  }

  /** Cumulative energy of the group since flexbridge first saw it, Wh. */
  totalWh(groupId: GroupId): number {
    let total = this.totals.get(groupId);
    if (total === undefined) {
      const stored = this.kv.get(KEY_PREFIX + groupId);
      total = typeof stored === 'number' && Number.isFinite(stored) ? stored : 0;
      this.totals.set(groupId, total);
    }
    return total;
  }

  /** Writes the totals that changed since the last flush; call once per tick inside the tick's transaction. */
  flush(): number {
    const changed = this.dirty.size;
    for (const groupId of this.dirty) this.kv.set(KEY_PREFIX + groupId, this.totals.get(groupId) ?? 0);
    this.dirty.clear();
    return changed;
  }
}
