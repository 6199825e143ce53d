// What every route of the operator API reads from: core (read side and overrides), the adapter backend, the read
// models fed by OperatorFeed, and lookups that answer 404 problems naming what was not found.
import type { GroupConfig } from '../config/schema';
import type { CoreQueries, OperatorCommands } from '../core/ports';
import type { Logger } from '../observability/log';
import type { ApiBackend, StationView } from './backend';
import type { EventLog } from './event-log';
import type { OperatorFeed } from './feed';
import type { GroupHistory } from './history';
import { NotFoundProblem } from './problems';
import type { OverrideEvents } from './override-events';
import type { SessionBook } from './session-book';
import type { EventStreams } from './sse';

export interface ApiContext {
  readonly groups: readonly GroupConfig[];
  readonly core: CoreQueries & OperatorCommands;
  readonly backend: ApiBackend;
  readonly history: GroupHistory;
  readonly book: SessionBook;
  readonly feed: OperatorFeed;
  readonly streams: EventStreams;
  readonly eventLog: EventLog;
  readonly overrideEvents: OverrideEvents;
  readonly logger: Logger;
  readonly nowMs: () => number;
}

export function groupOr404(context: ApiContext, groupId: string): GroupConfig {
  const group = context.groups.find((g) => g.id === groupId);
  if (!group) throw new NotFoundProblem(`no group "${groupId}"`);
  return group;
}

export function stationOr404(context: ApiContext, stationId: string): StationView {
  const station = context.backend.station(stationId);
  if (!station) throw new NotFoundProblem(`no station "${stationId}"`);
  return station;
}

/** Stations of a group as the CSMS knows them, found through core's per-group index (no fleet scan). */
export function stationsOfGroup(context: ApiContext, groupId: string): StationView[] {
  return context.core.fleet.stationsOf(groupId).flatMap((s) => {
    const view = context.backend.station(s.stationId);
    return view && view.record.groupId === groupId ? [view] : [];
  });
}

/** Active sessions per station, counted once per request. */
export function activeSessionsByStation(context: ApiContext): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { session } of context.book.activeSessions()) counts.set(session.stationId, (counts.get(session.stationId) ?? 0) + 1);
  return counts;
}
