// The forecast book (digest §13): per group and CapacityForecastType, the capacity in force over time in amps
// per phase, with the X-Request-ID and peer of the forecast behind each stretch. Implements core's ForecastSource.
import type { CapacityBlock, CapacityForecastType } from '../domain/capacity';
import type { GroupId } from '../domain/group';
import type { ForecastSource } from '../core/ports';
import type { ForecastRecord } from '../core/ports';
import type { ForecastedBlockUnit } from './schemas';

/** One stretch of a series: [startMs, endMs) at `limitA`, set by forecast `requestId` from `peerId`. */
export interface BookEntry extends CapacityBlock {
  readonly requestId: string;
  readonly peerId: string;
}

/** A validated, normalised forecast ready to enter the book: the stored record's identity and its blocks in amps. */
export interface BookForecast extends Pick<ForecastRecord, 'groupId' | 'type' | 'requestId' | 'peerId'> {
  /** Unit the peer used (its first block's); answers about this forecast use it too. */
  readonly unit: ForecastedBlockUnit;
  readonly blocks: readonly CapacityBlock[];
}

/** What the book remembers about a forecast message while any of it is still in the book. */
export interface ForecastInfo {
  readonly groupId: GroupId;
  readonly type: CapacityForecastType;
  readonly peerId: string;
  readonly unit: ForecastedBlockUnit;
  readonly endMs: number;
}

export interface ForecastBookDeps {
  /** The Capacity Provider a group belongs to (config `groups[].peerId`). */
  readonly groupPeer: (groupId: GroupId) => string | undefined;
  readonly peerOnline: (peerId: string) => boolean;
}

const seriesKey = (groupId: GroupId, type: CapacityForecastType): string => `${groupId}\u0000${type}`;

function entry(startMs: number, endMs: number, from: Omit<BookEntry, 'startMs' | 'endMs'>): BookEntry {
  return { startMs, endMs, limitA: from.limitA, requestId: from.requestId, peerId: from.peerId };
}

/** The parts of `e` that the sorted, non-overlapping `cover` does not hide. */
function uncovered(e: BookEntry, cover: readonly CapacityBlock[]): BookEntry[] {
  const pieces: BookEntry[] = [];
  let cursor = e.startMs;
  // `cover` is sorted and does not overlap (normaliseBlocks): start at the first block ending after the entry starts,
  // so replacing a week of blocks is O(n log n), not entries × blocks.
  let low = 0;
  for (let high = cover.length; low < high;) {
    const mid = (low + high) >> 1;
    if ((cover[mid] as CapacityBlock).endMs <= e.startMs) low = mid + 1;
    else high = mid;
  }
  for (let i = low; i < cover.length; i++) {
    const c = cover[i] as CapacityBlock;
    if (c.startMs >= e.endMs) break;
    if (c.endMs <= cursor) continue;
    if (c.startMs > cursor) pieces.push(entry(cursor, c.startMs, e));
    cursor = Math.max(cursor, c.endMs);
  }
  if (cursor === e.startMs) return [e];
  if (cursor < e.endMs) pieces.push(entry(cursor, e.endMs, e));
  return pieces;
}

export class ForecastBook implements ForecastSource {
  private readonly series = new Map<string, BookEntry[]>();
  private readonly forecasts = new Map<string, ForecastInfo>();
  private readonly lastUnit = new Map<string, ForecastedBlockUnit>();

  constructor(private readonly deps: ForecastBookDeps) {}

  /** A new forecast replaces what the book said for exactly the time its blocks cover; the rest stays. */
  apply(forecast: BookForecast): void {
    const cover = [...forecast.blocks].sort((a, b) => a.startMs - b.startMs);
    const last = cover[cover.length - 1];
    if (!last) return;
    const key = seriesKey(forecast.groupId, forecast.type);
    const kept = (this.series.get(key) ?? []).flatMap((e) => uncovered(e, cover));
    const added = cover.map((b) => entry(b.startMs, b.endMs, { limitA: b.limitA, requestId: forecast.requestId, peerId: forecast.peerId }));
    this.series.set(
      key,
      [...kept, ...added].sort((a, b) => a.startMs - b.startMs),
    );
    this.forecasts.set(forecast.requestId, {
      groupId: forecast.groupId,
      type: forecast.type,
      peerId: forecast.peerId,
      unit: forecast.unit,
      endMs: Math.max(...cover.map((b) => b.endMs)),
    });
    this.lastUnit.set(key, forecast.unit);
  }

  /** Stretches of a series overlapping [fromMs, toMs), oldest first; OPTIMUM of an offline optimizer is ignored (§6.4). */
  entries(groupId: GroupId, type: CapacityForecastType, fromMs: number, toMs: number): BookEntry[] {
    return (this.series.get(seriesKey(groupId, type)) ?? []).filter(
      (e) => e.endMs > fromMs && e.startMs < toMs && (type !== 'OPTIMUM' || this.deps.peerOnline(e.peerId)),
    );
  }

  /** The stretch in force at `atMs`, if any. */
  at(groupId: GroupId, type: CapacityForecastType, atMs: number): BookEntry | undefined {
    return this.entries(groupId, type, atMs, atMs + 1)[0];
  }

  /** Entries are blocks already (epoch ms, amps per phase): handed out as they are, no copy per reallocation. */
  blocks(groupId: GroupId, type: CapacityForecastType, fromMs: number, toMs: number): readonly CapacityBlock[] {
    return this.entries(groupId, type, fromMs, toMs);
  }

  requestIdAt(groupId: GroupId, type: CapacityForecastType, atMs: number): string | undefined {
    return this.at(groupId, type, atMs)?.requestId;
  }

  peerOnline(groupId: GroupId): boolean {
    const peerId = this.deps.groupPeer(groupId);
    return peerId !== undefined && this.deps.peerOnline(peerId);
  }

  forecast(requestId: string): ForecastInfo | undefined {
    return this.forecasts.get(requestId);
  }

  /** Unit of the latest forecast of a series, to answer the peer in its own unit. */
  unitOf(groupId: GroupId, type: CapacityForecastType): ForecastedBlockUnit | undefined {
    return this.lastUnit.get(seriesKey(groupId, type));
  }

  /** Drops stretches (and forecasts) that ended at or before `endedBeforeMs`; returns how many stretches went. */
  prune(endedBeforeMs: number): number {
    let dropped = 0;
    for (const [key, list] of this.series) {
      const kept = list.filter((e) => e.endMs > endedBeforeMs);
      dropped += list.length - kept.length;
      if (kept.length) this.series.set(key, kept);
      else this.series.delete(key);
    }
    for (const [requestId, info] of this.forecasts) if (info.endMs <= endedBeforeMs) this.forecasts.delete(requestId);
    return dropped;
  }
}
