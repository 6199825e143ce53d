// Pure shaping for the station page: its facts, connectors, sessions with energy and duration, the limits over the
// lease as chart columns (standing, lease, what the station reports), trace rows and remote-action templates.
// No DOM, no I/O; window.DashboardStationRows or require().
/* global window */
(function (root, factory) {
  const rows = factory(typeof module === 'object' && module.exports ? require('./shape.js') : root.DashboardShape);
  if (typeof module === 'object' && module.exports) module.exports = rows;
  else root.DashboardStationRows = rows;
})(typeof window !== 'undefined' ? window : globalThis, function (shape) {
  'use strict';

  const { formatAmps, formatTime, toSeconds } = shape;
  const isNumber = (v) => typeof v === 'number' && Number.isFinite(v);

  /** "1 h 05 min" / "12 min" / "40 s". */
  function formatDuration(seconds) {
    if (!isNumber(seconds) || seconds < 0) return '–';
    if (seconds < 60) return `${Math.round(seconds)} s`;
    const minutes = Math.floor(seconds / 60);
    if (minutes < 60) return `${minutes} min`;
    return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
  }

  function formatEnergy(wh) {
    if (!isNumber(wh)) return '–';
    return wh >= 1000 ? `${(Math.round(wh / 100) / 10).toFixed(1)} kWh` : `${Math.round(wh)} Wh`;
  }

  /** [label, value] pairs of what the station is and how it is connected. */
  function stationFacts(station) {
    const boot = station.boot || {};
    const facts = [
      ['connection', station.connected ? 'online' : 'offline'],
      ['since', station.connectionChangedAt ? formatTime(station.connectionChangedAt) : '–'],
      ['protocol', station.protocol ? `OCPP ${station.protocol}` : '–'],
      ['boot', station.bootStatus + (station.pendingReason ? ` (${station.pendingReason})` : '')],
      ['vendor', boot.vendor || '–'],
      ['model', boot.model || '–'],
      ['serial number', boot.serialNumber || '–'],
      ['firmware', boot.firmwareVersion || '–'],
      ['group', station.groupId],
      ['controllable', station.controllable ? 'yes' : 'no (counted at its maximum)'],
      [
        'hardware',
        `${station.evseCount} EVSE × ${formatAmps(station.evseMaxCurrentA)}, station ${formatAmps(station.stationMaxCurrentA)}, ${station.phases} phase(s)`,
      ],
      ['password', station.hasPassword ? 'set' : 'none'],
    ];
    if (station.smartCharging)
      facts.push([
        'smart charging',
        `stack ≤ ${station.smartCharging.profileStackLevel}, ${station.smartCharging.periodsPerSchedule} periods, ${station.smartCharging.rateUnits.join('/')}`,
      ]);
    if (station.unresponsive)
      facts.push(['unresponsive', `${station.unresponsive.timeouts} timeouts, retry ${formatTime(station.unresponsive.retryAt)}`]);
    if (station.upstream)
      facts.push([
        'CSMS (upstream)',
        `${station.upstream.state}${station.upstream.reason ? ` — ${station.upstream.reason}` : ''}, ${station.upstream.queueDepth} queued`,
      ]);
    const limits = station.limits || {};
    facts.push(['may draw now', formatAmps(limits.inForceA)]);
    facts.push(['standing limit', formatAmps(limits.standingA)]);
    facts.push(['lease ends', limits.live ? formatTime(limits.live.leaseEnd) : '–']);
    return facts;
  }

  function connectorRows(station) {
    const external = new Map((station.externalLimits || []).map((e) => [e.evseId, e.source]));
    return (station.connectors || []).map((c) => {
      const evseId = Number(String(c.id).split('/')[0]);
      return { id: c.id, connector: c.id, status: c.status, external: external.get(evseId) || '' };
    });
  }

  /** Active sessions (from the station) then ended ones (from /sessions), with energy and how long they ran. */
  function sessionRows(sessions, nowS) {
    return (Array.isArray(sessions) ? sessions : []).map((s) => {
      const start = toSeconds(s.startedAt);
      const end = s.endedAt ? toSeconds(s.endedAt) : nowS;
      const duration = start === undefined || end === undefined ? undefined : end - start;
      return {
        id: s.transactionId,
        transactionId: s.transactionId,
        evse: String(s.evseId) + (s.connectorId !== undefined ? `/${s.connectorId}` : ''),
        state: s.state === 'active' ? s.chargingState : 'ended',
        started: formatTime(s.startedAt),
        duration: formatDuration(duration),
        energy: formatEnergy(s.energyWh),
        limit: s.limitA === undefined ? '–' : formatAmps(s.limitA),
        sort: { started: start, duration, energy: s.energyWh },
      };
    });
  }

  /** The station's own composite schedule (2.0.1 `schedule`, 1.6 `chargingSchedule`) as [{ startS, limit }] and its end. */
  function compositeSteps(response) {
    if (!response || typeof response !== 'object') return undefined;
    const schedule = response.schedule || response.chargingSchedule;
    if (!schedule || !Array.isArray(schedule.chargingSchedulePeriod)) return undefined;
    const startS = toSeconds(response.scheduleStart || schedule.scheduleStart || schedule.startSchedule);
    if (startS === undefined) return undefined;
    const steps = schedule.chargingSchedulePeriod.map((p) => ({ startS: startS + p.startPeriod, limit: p.limit }));
    return { steps, endS: isNumber(schedule.duration) ? startS + schedule.duration : undefined, unit: schedule.chargingRateUnit };
  }

  function stepAt(steps, x, endS) {
    if (endS !== undefined && x >= endS) return null;
    let value = null;
    for (const step of steps) if (step.startS <= x) value = step.limit;
    return value;
  }

  /**
   * uPlot columns of the limits over the lease: [x, standing, lease, station-reported]. From now (or the lease start)
   * to the lease end (an hour when there is none); the lease is null after it ends (the standing limit applies).
   */
  function limitColumns(station, composite, nowS) {
    const limits = (station && station.limits) || {};
    const live = limits.live;
    const periods = live ? live.periods.map((p) => ({ startS: toSeconds(p.start), limit: p.limitA })) : [];
    const leaseEndS = live ? toSeconds(live.leaseEnd) : undefined;
    const reported = compositeSteps(composite);
    const fromS = Math.min(nowS, ...periods.map((p) => p.startS).filter(isNumber));
    const toS = Math.max(leaseEndS || nowS + 3600, (reported && reported.endS) || 0);
    const xs = new Set([fromS, nowS, toS]);
    for (const p of periods) if (p.startS >= fromS) xs.add(p.startS);
    if (leaseEndS) xs.add(leaseEndS);
    if (reported) for (const s of reported.steps) if (s.startS >= fromS && s.startS <= toS) xs.add(s.startS);
    if (reported && reported.endS && reported.endS <= toS) xs.add(reported.endS);
    const x = [...xs].filter(isNumber).sort((a, b) => a - b);
    const standing = x.map(() => (isNumber(limits.standingA) ? limits.standingA : null));
    const lease = x.map((t) => (live ? stepAt(periods, t, leaseEndS) : null));
    const station16 = x.map((t) => (reported ? stepAt(reported.steps, t, reported.endS) : null));
    return [x, standing, lease, station16];
  }

  const LEGS = { station: 'station', csms: 'CSMS' };

  /** One row per frame: when, which way ("station → flexbridge"), type, action, id and the payload. */
  function traceRows(frames) {
    return (Array.isArray(frames) ? frames : []).map((f, i) => {
      const peer = LEGS[f.leg] || f.leg;
      const way = f.direction === 'in' ? `${peer} → flexbridge` : `flexbridge → ${peer}`;
      const body =
        f.messageType === 'unparseable'
          ? f.raw || ''
          : f.messageType === 'CALLERROR'
            ? `${f.errorCode}: ${f.errorDescription || ''}`
            : JSON.stringify(f.payload === undefined ? {} : f.payload);
      return {
        id: `${f.at}:${i}`,
        time: formatTime(f.at),
        way,
        type: f.messageType,
        action: f.action || '',
        messageId: f.messageId || '',
        payload: body,
        sort: { time: toSeconds(f.at) },
      };
    });
  }

  const ACTION_TEMPLATES = {
    Reset: { type: 'OnIdle' },
    TriggerMessage: { requestedMessage: 'StatusNotification' },
    ChangeAvailability: { operational: true },
    UnlockConnector: { evseId: 1, connectorId: 1 },
    GetVariables: { variables: [{ component: { name: 'SmartChargingCtrlr' }, variable: { name: 'ProfileStackLevel' } }] },
    SetVariables: { variables: [{ component: { name: 'OCPPCommCtrlr' }, variable: { name: 'HeartbeatInterval' }, attributeValue: '300' }] },
    GetConfiguration: { keys: ['HeartbeatInterval'] },
    ChangeConfiguration: { key: 'HeartbeatInterval', value: '300' },
    GetBaseReport: { reportBase: 'SummaryInventory' },
    GetChargingProfiles: {},
    GetCompositeSchedule: { evseId: 0, durationS: 3600 },
    ClearChargingProfile: { chargingProfilePurpose: 'TxProfile', stackLevel: 2 },
  };
  const ONLY_201 = new Set(['GetVariables', 'SetVariables', 'GetBaseReport', 'GetChargingProfiles']);
  const ONLY_16 = new Set(['GetConfiguration', 'ChangeConfiguration']);

  /** The remote actions of the station's version, each with a body to start from. */
  function actionTemplates(protocol) {
    return Object.keys(ACTION_TEMPLATES)
      .filter((name) => (protocol === '1.6' ? !ONLY_201.has(name) : !ONLY_16.has(name)))
      .map((name) => ({ name, body: { action: name, ...ACTION_TEMPLATES[name] } }));
  }

  return {
    formatDuration,
    formatEnergy,
    stationFacts,
    connectorRows,
    sessionRows,
    compositeSteps,
    limitColumns,
    traceRows,
    actionTemplates,
  };
});
