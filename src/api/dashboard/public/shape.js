// Pure data shaping for the dashboard: API answers in; chart columns, banners and table rows out. No DOM, no I/O.
// Loaded by the page as a plain script (window.DashboardShape) and by the unit tests through require().
/* global window */
(function (root, factory) {
  const shape = factory();
  if (typeof module === 'object' && module.exports) module.exports = shape;
  else root.DashboardShape = shape;
})(typeof window !== 'undefined' ? window : globalThis, function () {
  'use strict';

  const PHASES = ['L1', 'L2', 'L3'];
  const HOUR_S = 3600;
  /** The chart opens on the recent past and the near plan, where an operator looks first. */
  const WINDOW_BEFORE_S = 2 * HOUR_S;
  const WINDOW_AFTER_S = 6 * HOUR_S;

  /** SSE event names after which the page reloads the affected group (all groups when the event names none). */
  const REFRESH_EVENTS = [
    'fallback.entered',
    'fallback.left',
    'plan.applied',
    'station.online',
    'station.offline',
    'session.started',
    'session.ended',
    'compliance.sent',
    'station.uncontrollable',
    'override.set',
    'override.removed',
    'override.expired',
  ];

  function isNumber(value) {
    return typeof value === 'number' && Number.isFinite(value);
  }

  /** ISO time → Unix seconds (uPlot's time scale), or undefined when unreadable. */
  function toSeconds(iso) {
    const ms = typeof iso === 'number' ? iso : Date.parse(iso);
    return Number.isFinite(ms) ? ms / 1000 : undefined;
  }

  /** One phase of a per-phase array (index 0–2), or the value itself when the API gave a single number. */
  function phaseValue(values, phase) {
    if (isNumber(values)) return values;
    if (!Array.isArray(values)) return null;
    const value = values[phase];
    return isNumber(value) ? value : null;
  }

  /** The phase with the least headroom right now: the one an engineer should watch. Phase L1 when unknown. */
  function tightestPhase(group) {
    const headroom = group && Array.isArray(group.headroomA) ? group.headroomA : [];
    let best = 0;
    headroom.forEach((value, phase) => {
      if (isNumber(value) && phase < 3 && value < (isNumber(headroom[best]) ? headroom[best] : Infinity)) best = phase;
    });
    return best;
  }

  function isFallback(source) {
    return source === 'fallback' || source === 'safe-default';
  }

  /** "14:05:09 CET" of an ISO time or epoch ms: a time of day with the browser's time zone, so nobody mistakes UTC for local. */
  function formatTime(value) {
    const s = toSeconds(value);
    if (s === undefined) return '–';
    return new Date(s * 1000).toLocaleTimeString(undefined, {
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      timeZoneName: 'short',
    });
  }

  /** "2026-03-01 14:05 CET" for times that may be on another day. */
  function formatDateTime(value) {
    const s = toSeconds(value);
    if (s === undefined) return '–';
    const d = new Date(s * 1000);
    const pad = (n) => String(n).padStart(2, '0');
    const zone = d.toLocaleTimeString(undefined, { timeZoneName: 'short' }).split(' ').pop();
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ${zone}`;
  }

  /** The browser's time zone as the chart's axis names it ("CET", "UTC"). */
  function timeZoneName(nowS) {
    return new Date(nowS * 1000).toLocaleTimeString(undefined, { timeZoneName: 'short' }).split(' ').pop();
  }

  /** The chart's default x range: the last 2 h and the next 6 h, in Unix seconds. */
  function defaultWindow(nowS) {
    return { min: nowS - WINDOW_BEFORE_S, max: nowS + WINDOW_AFTER_S };
  }

  /**
   * Chart columns for uPlot: [x (s), capacity on forecast, capacity on fallback or safe default, allocated, measured,
   * operator cap]. The operator cap is drawn only over the blocks it applies to (until it expires).
   * The past comes from the history, the future from the plan's blocks (the current block clipped to now), so both
   * never overlap. A capacity step is drawn in the series of its source; at a switch the old series is carried to the
   * switch instant so the step line stays unbroken.
   */
  function chartColumns(history, plan, phase, nowS) {
    const rows = [];
    for (const point of Array.isArray(history) ? history : []) {
      const x = toSeconds(point.at);
      if (x === undefined || x > nowS) continue;
      rows.push({
        x,
        source: point.source,
        capacity: phaseValue(point.capacityA, phase),
        allocated: phaseValue(point.allocatedA, phase),
        measured: phaseValue(point.measuredA, phase),
      });
    }
    const blocks = plan && Array.isArray(plan.blocks) ? plan.blocks : [];
    let last;
    for (const block of blocks) {
      const start = toSeconds(block.start);
      const end = toSeconds(block.end);
      if (start === undefined || end === undefined || end <= nowS) continue;
      last = {
        x: Math.max(start, nowS),
        source: block.source !== undefined ? block.source : plan.source,
        capacity: phaseValue(block.capacityA, phase),
        allocated: phaseValue(block.allocatedA, phase),
        measured: null,
        cap: isNumber(block.operatorCapA) ? block.operatorCapA : null,
        end,
      };
      rows.push(last);
    }
    // A step holds its value until the next point: the last block needs a point at its end to be drawn at all.
    if (last) rows.push({ ...last, x: last.end });
    rows.sort((a, b) => a.x - b.x);
    // The cap's step ends where the cap does: the first block without it carries the value to its start.
    rows.forEach((row, i) => {
      const previous = rows[i - 1];
      if (row.cap === null && previous && isNumber(previous.cap) && previous.end !== undefined && previous.end === row.x && !row.capEnd)
        row.capEnd = previous.cap;
    });

    const xs = [];
    const forecast = [];
    const fallback = [];
    const allocated = [];
    const measured = [];
    const cap = [];
    rows.forEach((row, i) => {
      const onFallback = isFallback(row.source);
      xs.push(row.x);
      forecast.push(onFallback ? null : row.capacity);
      fallback.push(onFallback ? row.capacity : null);
      allocated.push(row.allocated);
      measured.push(row.measured);
      cap.push(isNumber(row.cap) ? row.cap : isNumber(row.capEnd) ? row.capEnd : null);
      const previous = rows[i - 1];
      if (previous && isFallback(previous.source) !== onFallback) {
        if (onFallback) forecast[i] = previous.capacity;
        else fallback[i] = previous.capacity;
      }
    });
    return [xs, forecast, fallback, allocated, measured, cap];
  }

  /** How many values a chart column holds (the page exposes this for tests and for "no data yet"). */
  function countValues(column) {
    return column.filter(isNumber).length;
  }

  /** "16 / 16 / 16 A" for per-phase values, "16 A" for one; "–" when unknown. */
  function formatAmps(values) {
    const round = (v) => (isNumber(v) ? String(Math.round(v * 10) / 10) : '–');
    if (isNumber(values)) return `${round(values)} A`;
    if (!Array.isArray(values) || values.length === 0) return '–';
    return `${values.map(round).join(' / ')} A`;
  }

  /** What an operator cap in force adds to a sentence, or ''. */
  function capNote(group) {
    const cap = group && group.operatorCap;
    if (!cap || !isNumber(cap.limitA)) return '';
    return ` An operator cap of ${formatAmps(cap.limitA)} applies until ${formatTime(cap.expiresAt)}.`;
  }

  /**
   * The banner a group needs: null on its forecast, a warning on fallback, a stronger one on its safe default. It
   * quotes what the grid side grants (the fallback capacity, the safe limit), not an operator cap below it.
   */
  function bannerFor(group) {
    if (!group || !isFallback(group.source)) return null;
    const name = group.name ? `${group.name} (${group.id})` : group.id;
    const peer = group.peerId ? `grid peer ${group.peerId}${group.peerState ? ` ${group.peerState}` : ''}` : 'no grid peer';
    const granted = formatAmps(group.gridCapacityA !== undefined ? group.gridCapacityA : group.capacityA);
    if (group.source === 'fallback') {
      return { level: 'fallback', text: `Group ${name} is on its FALLBACK capacity (${granted}): ${peer}.${capNote(group)}` };
    }
    return {
      level: 'safe-default',
      text: `Group ${name} is on its SAFE DEFAULT limit (${granted}): no forecast and no fallback in force; ${peer}.${capNote(group)}`,
    };
  }

  /** The group's badge: where its capacity comes from, and an operator cap first when one is in force. */
  function badgeFor(group) {
    const source = group && group.source ? String(group.source) : 'unknown';
    const cap = group && group.operatorCap;
    if (cap && isNumber(cap.limitA)) {
      return { text: `operator cap ${formatAmps(cap.limitA)} · ${source}`, capped: true, title: `until ${formatTime(cap.expiresAt)}` };
    }
    return { text: source, capped: false, title: '' };
  }

  /** The value of a leased schedule in force at `nowS`: the last period started by then, until the lease ends. */
  function liveLimitAt(live, nowS) {
    if (!live || !Array.isArray(live.periods)) return undefined;
    const leaseEnd = toSeconds(live.leaseEnd);
    if (leaseEnd !== undefined && leaseEnd <= nowS) return undefined;
    let value;
    for (const period of live.periods) {
      const start = toSeconds(period.start);
      if (start !== undefined && start <= nowS && isNumber(period.limitA)) value = period.limitA;
    }
    return value;
  }

  /** Table rows for the station list (the API's StationSummary), sorted by id. */
  function stationRows(stations, nowS) {
    return (Array.isArray(stations) ? stations : [])
      .map((station) => {
        const limits = station.limits || {};
        const notes = [];
        if (station.bootStatus && station.bootStatus !== 'Accepted') notes.push(`boot ${station.bootStatus}`);
        if (station.paused) notes.push('paused by operator');
        if (station.pendingReason) notes.push(`Pending: ${station.pendingReason}`);
        if (station.unresponsive) notes.push(`unresponsive (${station.unresponsive.timeouts} timeouts), counted at its maximum`);
        if (limits.standingA === 0)
          notes.push(
            'standing limit 0 A: the fallback capacity does not give every station the 6 A an EV needs (6 A or pause), so this one charges only under a live lease',
          );
        if (station.upstream) {
          const queued = station.upstream.queueDepth > 0 ? `, ${station.upstream.queueDepth} queued` : '';
          notes.push(`CSMS ${station.upstream.state}${queued}${station.upstream.reason ? ` (${station.upstream.reason})` : ''}`);
        }
        const live = liveLimitAt(limits.live, nowS);
        return {
          id: String(station.id),
          connection: typeof station.connected === 'boolean' ? (station.connected ? 'online' : 'offline') : 'unknown',
          protocol: station.protocol ? `OCPP ${station.protocol}` : '–',
          controllable: typeof station.controllable === 'boolean' ? (station.controllable ? 'yes' : 'no') : '–',
          inForce: formatAmps(limits.inForceA),
          live: live === undefined ? '–' : `${formatAmps(live)} until ${formatTime(limits.live.leaseEnd)}`,
          standing: formatAmps(limits.standingA),
          maximum: formatAmps(station.stationMaxCurrentA),
          sessions: isNumber(station.sessions) ? String(station.sessions) : '–',
          notes: notes.join(', '),
        };
      })
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** Index of the plan block holding `nowS` (the first block when the plan starts later, -1 when it is over). */
  function blockIndexAt(plan, nowS) {
    const blocks = plan && Array.isArray(plan.blocks) ? plan.blocks : [];
    return blocks.findIndex((block) => toSeconds(block.end) > nowS);
  }

  /** Table rows for the plan's sessions, with each session's limit in the block in force now. */
  function sessionRows(plan, nowS) {
    const sessions = plan && Array.isArray(plan.sessions) ? plan.sessions : [];
    const index = blockIndexAt(plan, nowS);
    return sessions.map((session) => ({
      transactionId: String(session.transactionId ?? '?'),
      station: `${session.stationId ?? '?'} / ${session.evseId ?? '?'}`,
      limit: formatAmps(Array.isArray(session.limitsA) ? (index >= 0 ? session.limitsA[index] : undefined) : session.limitsA),
      reason: String(session.reason ?? ''),
    }));
  }

  /** The group an SSE event is about (in the data, or in the data of an envelope), or undefined for all groups. */
  function eventGroupId(data) {
    try {
      const parsed = typeof data === 'string' ? JSON.parse(data) : data;
      if (parsed && typeof parsed.groupId === 'string') return parsed.groupId;
      return parsed && parsed.data && typeof parsed.data.groupId === 'string' ? parsed.data.groupId : undefined;
    } catch {
      return undefined;
    }
  }

  return {
    PHASES,
    REFRESH_EVENTS,
    toSeconds,
    formatTime,
    formatDateTime,
    timeZoneName,
    defaultWindow,
    badgeFor,
    phaseValue,
    tightestPhase,
    chartColumns,
    countValues,
    formatAmps,
    bannerFor,
    stationRows,
    sessionRows,
    eventGroupId,
  };
});
