// Pure shaping for the dashboard's tables and views: sorting, filtering and paging rows, and the rows and pictures of
// the event log, refused connections, overrides and peers. No DOM, no I/O; window.DashboardRows or require().
/* global window */
(function (root, factory) {
  const rows = factory(typeof module === 'object' && module.exports ? require('./shape.js') : root.DashboardShape);
  if (typeof module === 'object' && module.exports) module.exports = rows;
  else root.DashboardRows = rows;
})(typeof window !== 'undefined' ? window : globalThis, function (shape) {
  'use strict';

  const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

  /** The value a column sorts by: a row's `sort` entry when it has one (numbers, times), else its text. */
  function sortValue(row, key) {
    if (row.sort && row.sort[key] !== undefined) return row.sort[key];
    return row[key] === undefined || row[key] === null ? '' : row[key];
  }

  function compare(a, b) {
    if (typeof a === 'number' && typeof b === 'number') return a - b;
    return collator.compare(String(a), String(b));
  }

  /**
   * One page of `rows` as the table shows it: rows whose text holds `filter` (any column, case-insensitive), sorted by
   * `sortKey` (`sortDir` 'asc' | 'desc', ties in their given order), `pageSize` per page, `page` clamped to the pages there are.
   */
  function viewRows(rows, options) {
    const { filter = '', sortKey, sortDir = 'asc', page = 0, pageSize = Infinity, columns } = options || {};
    const needle = String(filter).trim().toLowerCase();
    const keys = columns || (rows[0] ? Object.keys(rows[0]).filter((k) => k !== 'sort' && k !== 'id') : []);
    const matching = needle
      ? rows.filter((row) =>
          keys.some((key) =>
            String(row[key] === undefined ? '' : row[key])
              .toLowerCase()
              .includes(needle),
          ),
        )
      : rows.slice();
    if (sortKey) {
      const sign = sortDir === 'desc' ? -1 : 1;
      matching.sort((a, b) => sign * compare(sortValue(a, sortKey), sortValue(b, sortKey)));
    }
    const pages = Math.max(1, Math.ceil(matching.length / pageSize));
    const current = Math.min(Math.max(0, page), pages - 1);
    const start = Number.isFinite(pageSize) ? current * pageSize : 0;
    return {
      rows: Number.isFinite(pageSize) ? matching.slice(start, start + pageSize) : matching,
      total: rows.length,
      matching: matching.length,
      page: current,
      pages,
      first: matching.length === 0 ? 0 : start + 1,
      last: Number.isFinite(pageSize) ? Math.min(start + pageSize, matching.length) : matching.length,
    };
  }

  /** Event log kinds, as the page filters and colours them. */
  const EVENT_KINDS = {
    'fallback.entered': 'fallback',
    'fallback.left': 'fallback',
    'compliance.sent': 'compliance',
    'override.set': 'override',
    'override.removed': 'override',
    'override.expired': 'override',
    'station.online': 'station',
    'station.offline': 'station',
    'station.refused': 'refused',
    'station.uncontrollable': 'station',
  };

  function overrideTarget(data) {
    if (data.kind === 'group-cap') return `group ${data.groupId} capped at ${shape.formatAmps(data.limitA)}`;
    if (data.kind === 'station-pause') return `station ${data.stationId} paused`;
    if (data.kind === 'session-priority') return `session ${data.transactionId} priority ${data.priority}`;
    return String(data.kind || '?');
  }

  /** One sentence per logged event, in words an operator uses. */
  function describeEvent(event) {
    const d = event.data || {};
    switch (event.event) {
      case 'fallback.entered':
        return `group ${d.groupId} left its forecast: now on ${d.to === 'safe-default' ? 'its SAFE DEFAULT limit' : 'its FALLBACK capacity'}`;
      case 'fallback.left':
        return `group ${d.groupId} is back on its forecast`;
      case 'compliance.sent':
        return `group ${d.groupId} cannot comply in ${d.blocks} block(s): compliance error sent (${d.message})`;
      case 'override.set':
        return `${overrideTarget(d)} until ${shape.formatTime(d.expiresAt)}${d.by ? `, by ${d.by}` : ''}`;
      case 'override.removed':
        return `override removed: ${overrideTarget(d)}${d.by ? `, by ${d.by}` : ''}`;
      case 'override.expired':
        return `override expired: ${overrideTarget(d)}`;
      case 'station.online':
        return `station ${d.stationId} online`;
      case 'station.offline':
        return `station ${d.stationId} offline`;
      case 'station.refused':
        return `connection of ${d.identity} from ${d.remoteAddress} refused (${d.status}): ${d.reason}`;
      case 'station.uncontrollable':
        return `station ${d.stationId} is uncontrollable (refused or ignored profiles): counted at its maximum`;
      default:
        return event.event;
    }
  }

  function eventRows(events) {
    return (Array.isArray(events) ? events : []).map((event) => {
      const d = event.data || {};
      return {
        id: String(event.id),
        time: shape.formatDateTime(event.at),
        kind: EVENT_KINDS[event.event] || 'other',
        event: event.event,
        subject: d.stationId || d.identity || d.groupId || d.transactionId || '',
        text: describeEvent(event),
        sort: { id: event.id, time: shape.toSeconds(event.at) },
      };
    });
  }

  /**
   * Markers on a time strip for events: each at its place in [fromS, toS] as a fraction 0–1, with its kind for its
   * colour; events outside are left out.
   */
  function timelineMarks(events, fromS, toS) {
    const span = Math.max(1, toS - fromS);
    return (Array.isArray(events) ? events : []).flatMap((event) => {
      const s = shape.toSeconds(event.at);
      if (s === undefined || s < fromS || s > toS) return [];
      return [{ id: String(event.id), at: (s - fromS) / span, kind: EVENT_KINDS[event.event] || 'other', title: describeEvent(event) }];
    });
  }

  function refusedRows(attempts) {
    return (Array.isArray(attempts) ? attempts : []).map((a, i) => ({
      id: `${a.at}#${i}`,
      time: shape.formatDateTime(a.at),
      identity: String(a.identity),
      remoteAddress: String(a.remoteAddress),
      status: String(a.status),
      reason: String(a.reason),
      sort: { time: shape.toSeconds(a.at), status: a.status },
    }));
  }

  /** How often each reason was given, most frequent first, with its share of the most frequent (for bars). */
  function reasonCounts(attempts) {
    const counts = new Map();
    for (const a of Array.isArray(attempts) ? attempts : []) {
      // "unknown station CP-7" and "unknown station CP-8" are one reason: identities are cut out.
      const reason = String(a.reason).split(String(a.identity)).join('…');
      counts.set(reason, (counts.get(reason) || 0) + 1);
    }
    const sorted = [...counts].sort((a, b) => b[1] - a[1] || collator.compare(a[0], b[0]));
    const most = sorted.length > 0 ? sorted[0][1] : 1;
    return sorted.map(([reason, count]) => ({ reason, count, share: count / most }));
  }

  /** "in 42 min", "3 min ago", "in 1 h 5 min". */
  function relative(targetS, nowS) {
    const delta = Math.round(targetS - nowS);
    const abs = Math.abs(delta);
    const text =
      abs < 60
        ? `${abs} s`
        : abs < 3600
          ? `${Math.round(abs / 60)} min`
          : `${Math.floor(abs / 3600)} h ${Math.round((abs % 3600) / 60)} min`;
    return delta >= 0 ? `in ${text}` : `${text} ago`;
  }

  function overrideRows(overrides, nowS) {
    return (Array.isArray(overrides) ? overrides : []).map((o) => {
      const target = o.kind === 'group-cap' ? o.groupId : o.kind === 'station-pause' ? o.stationId : o.transactionId;
      const expires = shape.toSeconds(o.expiresAt !== undefined ? o.expiresAt : o.expiresAtMs);
      return {
        id: `${o.kind}:${target}`,
        kind: String(o.kind),
        target: String(target),
        value: o.kind === 'group-cap' ? shape.formatAmps(o.limitA) : o.kind === 'session-priority' ? `priority ${o.priority}` : 'paused',
        expires: expires === undefined ? '–' : `${shape.formatTime(expires * 1000)} (${relative(expires, nowS)})`,
        sort: { expires },
        // Share of the next 24 h still ahead: the bar the page draws.
        remaining: expires === undefined ? 0 : Math.min(1, Math.max(0, (expires - nowS) / 86400)),
        body: {
          kind: o.kind,
          ...(o.kind === 'group-cap'
            ? { groupId: target }
            : o.kind === 'station-pause'
              ? { stationId: target }
              : { transactionId: target }),
        },
      };
    });
  }

  /**
   * Peers as rows, with how much of the time between the last word heard and offline_mode_at is used up (0–1): at 1
   * the peer is late and its groups go to fallback after the grace period.
   */
  function peerRows(peers, nowS) {
    return (Array.isArray(peers) ? peers : []).map((p) => {
      const heard = shape.toSeconds(p.updatedAt);
      const offlineAt = shape.toSeconds(p.offlineModeAt);
      const used = heard !== undefined && offlineAt !== undefined && offlineAt > heard ? (nowS - heard) / (offlineAt - heard) : undefined;
      return {
        id: String(p.id),
        role: String(p.role),
        state: String(p.state),
        online: p.online ? 'yes' : 'no',
        lastHeard: heard === undefined ? '–' : `${shape.formatTime(heard * 1000)} (${relative(heard, nowS)})`,
        offlineModeAt: offlineAt === undefined ? '–' : `${shape.formatTime(offlineAt * 1000)} (${relative(offlineAt, nowS)})`,
        heartbeat: typeof p.heartbeatIntervalS === 'number' ? `${p.heartbeatIntervalS} s` : '–',
        groups: Array.isArray(p.groups) ? p.groups.join(', ') : '',
        sort: { lastHeard: heard, offlineModeAt: offlineAt },
        used: used === undefined ? undefined : Math.min(1, Math.max(0, used)),
      };
    });
  }

  /** The API's SessionSummary list as table rows. */
  function sessionListRows(sessions) {
    return (Array.isArray(sessions) ? sessions : []).map((s) => ({
      id: String(s.transactionId),
      transactionId: String(s.transactionId),
      station: `${s.stationId} / ${s.evseId}`,
      groupId: String(s.groupId),
      state: s.state === 'ended' ? 'ended' : String(s.chargingState || 'active'),
      started: shape.formatDateTime(s.startedAt),
      ended: s.endedAt ? shape.formatDateTime(s.endedAt) : '–',
      energy: typeof s.energyWh === 'number' ? `${(s.energyWh / 1000).toFixed(2)} kWh` : '–',
      limit: typeof s.limitA === 'number' ? shape.formatAmps(s.limitA) : '–',
      reason: s.reason ? String(s.reason) : '',
      sort: { started: shape.toSeconds(s.startedAt), ended: shape.toSeconds(s.endedAt), energy: s.energyWh, limit: s.limitA },
    }));
  }

  return {
    viewRows,
    sessionListRows,
    EVENT_KINDS,
    describeEvent,
    eventRows,
    timelineMarks,
    refusedRows,
    reasonCounts,
    relative,
    overrideRows,
    peerRows,
  };
});
