// The station page (#station/<id>): connection and boot, connectors, sessions, the limits over the lease as a chart
// (with the station's own composite schedule on demand), its refused connections, the live trace and remote actions.
/* global window, document, uPlot, Blob, URL, DashboardDom, DashboardRows, DashboardShape, DashboardStationRows */
(function () {
  'use strict';

  const { el, byId, dataTable } = DashboardDom;
  const S = DashboardStationRows;
  const CHART_HEIGHT = 220;
  /** Frames the page keeps while watching a traced station live. */
  const LIVE_FRAMES = 500;

  /** `ctx`: { api(path), apiSend(method, path, body, adminToken), onError(error) }. */
  function create(ctx) {
    let stationId;
    let station;
    let composite;
    let chart;
    let frames = [];
    let tracing = false;

    const title = el('h2', {}, 'Station');
    const back = el('a', { href: '#groups', class: 'back' }, '‹ groups');
    const facts = el('dl', { class: 'figures station-facts' });
    const connectors = dataTable(
      [
        ['connector', 'EVSE / connector'],
        ['status', 'Status'],
        ['external', 'External limit'],
      ],
      { name: 'connectors', filter: false, pageSize: Infinity, emptyText: 'No connector status reported yet.' },
    );
    const sessions = dataTable(
      [
        ['transactionId', 'Transaction'],
        ['evse', 'EVSE'],
        ['state', 'State'],
        ['started', 'Started'],
        ['duration', 'Duration'],
        ['energy', 'Energy'],
        ['limit', 'Limit now'],
      ],
      { name: 'station-sessions', emptyText: 'No session on this station.' },
    );
    const refusals = dataTable(
      [
        ['time', 'Time'],
        ['remoteAddress', 'From'],
        ['status', 'HTTP'],
        ['reason', 'Why'],
      ],
      { name: 'station-refused', filter: false, emptyText: 'No refused connection for this identity.' },
    );
    const trace = dataTable(
      [
        ['time', 'Time'],
        ['way', 'Direction'],
        ['type', 'Type'],
        ['action', 'Action'],
        ['messageId', 'Message id'],
        ['payload', 'Payload'],
      ],
      {
        name: 'trace',
        pageSize: 100,
        emptyText: 'No frame kept yet.',
        cell: (key, row) => (key === 'payload' ? el('code', { class: 'payload' }, row.payload) : row[key]),
      },
    );
    const chartBox = el('div', { class: 'chart station-chart' });
    const chartNote = el('p', { class: 'hint' });
    const adminToken = el('input', {
      type: 'password',
      autocomplete: 'off',
      'aria-label': 'admin token',
      placeholder: 'admin token (if this page’s is read-only)',
    });
    const message = el('p', { class: 'form-message', 'aria-live': 'polite' });
    const traceState = el('span', { class: 'trace-state' });
    const traceToggle = el('button', { type: 'button', class: 'trace-toggle', onclick: () => toggleTrace() }, 'Trace live');
    const download = el('button', { type: 'button', class: 'trace-download', onclick: () => downloadTrace() }, 'Download NDJSON');
    const askComposite = el(
      'button',
      { type: 'button', class: 'ask-composite', onclick: () => fetchComposite() },
      'Ask the station (GetCompositeSchedule)',
    );
    const actionSelect = el('select', { 'aria-label': 'remote action', onchange: () => fillTemplate() });
    const actionBody = el('textarea', { rows: '6', spellcheck: 'false', 'aria-label': 'action body (JSON)', class: 'action-body' });
    const rawAction = el('input', { type: 'text', placeholder: 'e.g. ClearCache', 'aria-label': 'raw OCPP action' });
    const rawPayload = el('textarea', { rows: '3', spellcheck: 'false', 'aria-label': 'raw payload (JSON)', class: 'action-body' });
    rawPayload.value = '{}';
    const answer = el('pre', { class: 'action-answer', 'aria-live': 'polite' });

    byId('view-station').replaceChildren(
      back,
      title,
      facts,
      el('h3', {}, 'Limits over the lease'),
      chartBox,
      el('div', { class: 'controls' }, askComposite),
      chartNote,
      el('h3', {}, 'Connectors'),
      connectors.element,
      el('h3', {}, 'Sessions'),
      sessions.element,
      el('h3', {}, 'Refused connections'),
      refusals.element,
      el('h3', {}, 'OCPP trace'),
      el('div', { class: 'controls' }, traceState, traceToggle, download),
      trace.element,
      el('h3', {}, 'Remote actions'),
      el(
        'p',
        { class: 'hint' },
        'Sent in the station’s OCPP version through its command queue; needs the admin role and is audit-logged. ',
        'flexbridge’s own limits cannot be cleared from here.',
      ),
      el(
        'form',
        { class: 'action-form', onsubmit: (event) => send(event, 'actions') },
        el('label', {}, 'Action ', actionSelect),
        actionBody,
        el('button', { type: 'submit' }, 'Send action'),
      ),
      el(
        'form',
        { class: 'raw-form', onsubmit: (event) => send(event, 'ocpp') },
        el('label', {}, 'Raw call ', rawAction),
        rawPayload,
        el('button', { type: 'submit' }, 'Send raw call'),
      ),
      adminToken,
      message,
      answer,
    );

    function say(text, ok) {
      message.textContent = text;
      message.dataset.ok = String(ok);
    }

    function problemText(result) {
      const body = result.body || {};
      const fields = Array.isArray(body.errors) ? body.errors.map((e) => `${e.path}: ${e.message}`).join('; ') : '';
      if (result.status === 401 || result.status === 403) return `refused (${result.status}): this needs a token with the admin role`;
      return `refused (${result.status}): ${body.detail || ''}${fields ? ` — ${fields}` : ''}`;
    }

    function fillTemplate() {
      const template = S.actionTemplates(station && station.protocol).find((t) => t.name === actionSelect.value);
      if (template) actionBody.value = JSON.stringify(template.body, null, 2);
    }

    async function send(event, kind) {
      event.preventDefault();
      let body;
      try {
        body =
          kind === 'actions'
            ? JSON.parse(actionBody.value)
            : { action: rawAction.value.trim(), payload: JSON.parse(rawPayload.value || '{}') };
      } catch (error) {
        say(`not JSON: ${error.message}`, false);
        return;
      }
      const path = `/stations/${encodeURIComponent(stationId)}/${kind}`;
      const result = await ctx.apiSend('POST', path, body, adminToken.value.trim());
      if (result.status === 200) {
        say(`${result.body.action}: answered`, true);
        answer.textContent = JSON.stringify(result.body.response, null, 2);
        if (result.body.action === 'GetCompositeSchedule') {
          composite = result.body.response;
          renderChart();
        }
      } else {
        say(problemText(result), false);
        answer.textContent = '';
      }
    }

    async function fetchComposite() {
      const leaseEnd = station && station.limits.live ? DashboardShape.toSeconds(station.limits.live.leaseEnd) : undefined;
      const durationS = Math.max(60, Math.round((leaseEnd || Date.now() / 1000 + 3600) - Date.now() / 1000));
      const result = await ctx.apiSend(
        'POST',
        `/stations/${encodeURIComponent(stationId)}/actions`,
        { action: 'GetCompositeSchedule', evseId: 0, durationS },
        adminToken.value.trim(),
      );
      if (result.status !== 200) {
        say(problemText(result), false);
        return;
      }
      composite = result.body.response;
      say(`the station reports its composite schedule (${composite && composite.status})`, true);
      renderChart();
    }

    async function toggleTrace() {
      const result = await ctx.apiSend(
        'PUT',
        `/stations/${encodeURIComponent(stationId)}/trace`,
        { enabled: !tracing },
        adminToken.value.trim(),
      );
      if (result.status !== 200) {
        say(problemText(result), false);
        return;
      }
      say(result.body.enabled ? `tracing: the last ${result.body.capacity} frames, live` : 'trace off', true);
      await loadTrace();
    }

    async function downloadTrace() {
      // A plain link cannot carry the token: fetch, then hand the browser the text as a file.
      const text = (await ctx.api(`/stations/${encodeURIComponent(stationId)}/trace`)).frames
        .map((frame) => JSON.stringify({ stationId, ...frame }))
        .join('\n');
      const url = URL.createObjectURL(new Blob([`${text}\n`], { type: 'application/x-ndjson' }));
      const link = el('a', { href: url, download: `trace-${stationId}.ndjson` });
      document.body.append(link);
      link.click();
      link.remove();
      URL.revokeObjectURL(url);
    }

    async function loadTrace() {
      const t = await ctx.api(`/stations/${encodeURIComponent(stationId)}/trace`);
      tracing = t.enabled;
      frames = t.frames;
      traceState.textContent = t.enabled ? `traced live: up to ${t.capacity} frames` : `not traced: the last ${t.capacity} frames`;
      traceState.dataset.enabled = String(t.enabled);
      traceToggle.textContent = t.enabled ? 'Stop tracing' : 'Trace live';
      trace.setRows(S.traceRows(frames).reverse());
    }

    function renderChart() {
      const data = S.limitColumns(station, composite, Date.now() / 1000);
      chartBox.dataset.standing = DashboardShape.countValues(data[1]);
      chartBox.dataset.lease = DashboardShape.countValues(data[2]);
      chartBox.dataset.reported = DashboardShape.countValues(data[3]);
      chartNote.textContent = station.limits.live
        ? `Lease until ${DashboardShape.formatTime(station.limits.live.leaseEnd)}; after it the standing limit applies.`
        : 'No live lease: the standing limit applies.';
      const width = Math.max(300, chartBox.clientWidth || 700);
      const stepped = uPlot.paths.stepped({ align: 1 });
      const options = {
        width,
        height: CHART_HEIGHT,
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(10, max * 1.1)] } },
        axes: [
          { label: `time (${DashboardShape.timeZoneName(Date.now() / 1000)})`, labelSize: 20 },
          { label: 'A', size: 50 },
        ],
        series: [
          {},
          { label: 'standing limit', stroke: '#57606a', width: 2, dash: [6, 4], paths: stepped, points: { show: false } },
          { label: 'lease (live)', stroke: '#8250df', width: 2, paths: stepped, points: { show: false } },
          { label: 'station reports', stroke: '#1a7f37', width: 2, paths: stepped, points: { show: false } },
        ],
      };
      if (chart) chart.destroy();
      chart = new uPlot(options, data, chartBox);
    }

    async function load() {
      const id = encodeURIComponent(stationId);
      const [detail, ended, attempts] = await Promise.all([
        ctx.api(`/stations/${id}`),
        ctx.api(`/sessions?state=ended&stationId=${id}&limit=20`),
        ctx.api(`/connection-attempts?identity=${id}`),
      ]);
      station = detail;
      title.textContent = `Station ${station.id}`;
      facts.replaceChildren(
        ...S.stationFacts(station).map(([label, value]) =>
          el('div', { class: 'figure' }, el('dt', {}, label), el('dd', { 'data-figure': label }, value)),
        ),
      );
      connectors.setRows(S.connectorRows(station));
      sessions.setRows(S.sessionRows([...station.sessions, ...ended.items], Date.now() / 1000));
      refusals.setRows(DashboardRows.refusedRows(attempts));
      const templates = S.actionTemplates(station.protocol);
      if (actionSelect.options.length !== templates.length || actionSelect.dataset.protocol !== station.protocol) {
        actionSelect.replaceChildren(...templates.map((t) => el('option', { value: t.name }, t.name)));
        actionSelect.dataset.protocol = station.protocol || '';
        fillTemplate();
      }
      renderChart();
      await loadTrace();
    }

    return {
      /** Opened (again): what the station was asked last time is not shown as if it were current. */
      show(id) {
        composite = undefined;
        answer.textContent = '';
        message.textContent = '';
        stationId = id;
        return load();
      },
      reload: () => (stationId ? load() : Promise.resolve()),
      /** A live frame of a traced station: shown at once if it is this one. */
      onFrame(frame) {
        if (!stationId || frame.stationId !== stationId || !tracing) return;
        frames.push(frame);
        if (frames.length > LIVE_FRAMES) frames.shift();
        trace.setRows(S.traceRows(frames).reverse());
      },
      resize() {
        if (chart) chart.setSize({ width: Math.max(300, chartBox.clientWidth || 700), height: CHART_HEIGHT });
      },
      get stationId() {
        return stationId;
      },
    };
  }

  window.DashboardStationPage = { create };
})();
