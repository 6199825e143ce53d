// Types of rows.js (a plain browser script, also require()d by the unit tests): table paging and the views' rows.

export interface Row {
  id: string;
  sort?: Record<string, number | string | undefined>;
  [key: string]: unknown;
}

export interface ViewOptions {
  filter?: string;
  sortKey?: string;
  sortDir?: 'asc' | 'desc';
  page?: number;
  pageSize?: number;
  columns?: readonly string[];
}

export interface RowView<T> {
  rows: T[];
  total: number;
  matching: number;
  page: number;
  pages: number;
  first: number;
  last: number;
}

export interface LoggedEvent {
  id: number;
  event: string;
  at: string;
  data: Record<string, unknown>;
}

export const EVENT_KINDS: Readonly<Record<string, string>>;
export function viewRows<T extends Row>(rows: readonly T[], options?: ViewOptions): RowView<T>;
export function sessionListRows(sessions: readonly Record<string, unknown>[] | undefined): Row[];
export function describeEvent(event: LoggedEvent): string;
export function eventRows(events: readonly LoggedEvent[] | undefined): Row[];
export function timelineMarks(
  events: readonly LoggedEvent[] | undefined,
  fromS: number,
  toS: number,
): { id: string; at: number; kind: string; title: string }[];
export function refusedRows(attempts: readonly Record<string, unknown>[] | undefined): Row[];
export function reasonCounts(
  attempts: readonly { identity: string; reason: string }[] | undefined,
): { reason: string; count: number; share: number }[];
export function relative(targetS: number, nowS: number): string;
export function overrideRows(overrides: readonly Record<string, unknown>[] | undefined, nowS: number): (Row & { remaining: number })[];
export function peerRows(peers: readonly Record<string, unknown>[] | undefined, nowS: number): (Row & { used?: number })[];
