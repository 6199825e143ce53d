// The operator dashboard page: asks the REST API for groups, plans, history and stations, draws them, and
// reloads a group when the server-sent event stream says it changed. Plain script; shapes data with DashboardShape.
/* global window, document, sessionStorage, fetch, EventSource, URL, setTimeout, clearTimeout, setInterval, uPlot, DashboardShape */
(function () {
  'use strict';

  const TOKEN_KEY = 'flexbridge.apiToken';
  const API = '/api/v1';
  /** Several events about one group in a burst (a plan applied to ten stations) cause one reload. */
  const DEBOUNCE_MS = 300;
  /** History grows and "now" moves even when nothing happens. */
  const PERIODIC_REFRESH_MS = 60_000;
  const CHART_HEIGHT = 260;

  const groups = new Map(); // id → { section, chart, phase: 'auto' | 0..2, summary, plan, history, timer }
  let token;
  let events;

  class AuthError extends Error {}

  // ---- DOM helpers -------------------------------------------------------------------------------------------------

  /** Builds an element; text goes in as text nodes, never as HTML. */
  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (name === 'class') node.className = value;
      else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, String(value));
    }
    for (const child of children.flat()) {
      if (child === undefined || child === null) continue;
      node.append(child instanceof window.Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function byId(id) {
    return document.getElementById(id);
  }

  function setStatus(state, text) {
    const status = byId('status');
    status.dataset.state = state;
    status.textContent = text;
  }

  function table(columns, rows, emptyText) {
    if (rows.length === 0) return el('p', { class: 'empty' }, emptyText);
    return el(
      'table',
      {},
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          columns.map(([, label]) => el('th', {}, label)),
        ),
      ),
      el(
        'tbody',
        {},
        rows.map((row) =>
          el(
            'tr',
            { 'data-id': row.id },
            columns.map(([key]) => el('td', { 'data-col': key, 'data-value': row[key] }, row[key])),
          ),
        ),
      ),
    );
  }

  // ---- token -------------------------------------------------------------------------------------------------------

  /** A `?token=` in the page URL wins once, is kept for the tab's life, and is taken out of the address bar. */
  function initialToken() {
    const url = new URL(window.location.href);
    const fromUrl = url.searchParams.get('token');
    if (fromUrl) {
      sessionStorage.setItem(TOKEN_KEY, fromUrl);
      url.searchParams.delete('token');
      window.history.replaceState(null, '', url.pathname + url.search + url.hash);
      return fromUrl;
    }
    return sessionStorage.getItem(TOKEN_KEY) || undefined;
  }

  function askForToken(message) {
    sessionStorage.removeItem(TOKEN_KEY);
    token = undefined;
    if (events) events.close();
    setStatus('signed-out', 'signed out');
    byId('token-message').textContent = message || '';
    byId('login').hidden = false;
    byId('token-input').focus();
  }

  function onTokenSubmit(event) {
    event.preventDefault();
    const value = byId('token-input').value.trim();
    if (!value) return;
    sessionStorage.setItem(TOKEN_KEY, value);
    token = value;
    byId('token-input').value = '';
    byId('login').hidden = true;
    start();
  }

  // ---- API -----------------------------------------------------------------------------------------------------------

  async function api(path) {
    // credentials 'omit': the token goes in the header; a 401's Basic challenge must not pop up the browser's login box.
    const response = await fetch(API + path, {
      headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
      credentials: 'omit',
    });
    if (response.status === 401 || response.status === 403) throw new AuthError(`the API refused the token (${response.status})`);
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
    return response.json();
  }

  function handleError(error) {
    if (error instanceof AuthError) askForToken(`${error.message}: paste a token with read access.`);
    else setStatus('error', `error: ${error.message}`);
  }

  // ---- groups --------------------------------------------------------------------------------------------------------

  async function loadAll() {
    const list = await api('/groups');
    const ids = new Set(list.map((g) => g.id));
    for (const [id, group] of groups) {
      if (ids.has(id)) continue;
      if (group.chart) group.chart.destroy();
      group.section.remove();
      groups.delete(id);
    }
    byId('no-groups').hidden = list.length > 0;
    await Promise.all(list.map((summary) => loadGroup(summary.id, summary)));
    renderBanners();
  }

  async function loadGroup(id, summary) {
    const query = encodeURIComponent(id);
    const [summaries, plan, history, stations] = await Promise.all([
      summary ? [summary] : api('/groups'),
      api(`/groups/${query}/plan`).catch(notFoundAsUndefined),
      api(`/groups/${query}/history`).catch(notFoundAsUndefined),
      api(`/stations?groupId=${query}`),
    ]);
    const current = summaries.find((g) => g.id === id);
    if (!current) return loadAll();
    const group = groups.get(id) || createGroup(id);
    Object.assign(group, { summary: current, plan, history, stations });
    renderGroup(group);
  }

  /** A group without a plan (or history) yet is normal right after start; anything else is an error. */
  function notFoundAsUndefined(error) {
    if (/HTTP 404$/.test(error.message)) return undefined;
    throw error;
  }

  function refreshGroup(id) {
    const group = groups.get(id);
    if (!group) return scheduleFullRefresh();
    clearTimeout(group.timer);
    group.timer = setTimeout(() => {
      loadGroup(id)
        .then(() => {
          renderBanners();
          setUpdated();
        })
        .catch(handleError);
    }, DEBOUNCE_MS);
  }

  let fullTimer;
  function scheduleFullRefresh() {
    clearTimeout(fullTimer);
    fullTimer = setTimeout(() => loadAll().then(setUpdated).catch(handleError), DEBOUNCE_MS);
  }

  function setUpdated() {
    byId('updated').textContent = `updated ${new Date().toLocaleTimeString()}`;
  }

  function createGroup(id) {
    const phaseSelect = el(
      'select',
      { 'aria-label': 'phase shown in the chart', onchange: () => onPhaseChange(id, phaseSelect.value) },
      el('option', { value: 'auto' }, 'tightest phase'),
      DashboardShape.PHASES.map((name, i) => el('option', { value: String(i) }, name)),
    );
    const section = el(
      'section',
      { class: 'group', 'data-group': id },
      el('header', {}, el('h2', {}, id), el('span', { class: 'source' }), el('label', {}, 'Chart ', phaseSelect)),
      el('dl', { class: 'figures' }),
      el('div', { class: 'chart' }),
      el('p', { class: 'hint' }, 'Left of the dotted line: what happened; right: the plan. Drag to zoom, double-click to reset.'),
      el('h3', {}, 'Stations'),
      el('div', { class: 'stations' }),
      el('h3', {}, 'Sessions in the plan'),
      el('div', { class: 'sessions' }),
    );
    byId('groups').append(section);
    const group = { section, chart: undefined, phase: 'auto' };
    groups.set(id, group);
    return group;
  }

  function onPhaseChange(id, value) {
    const group = groups.get(id);
    group.phase = value === 'auto' ? 'auto' : Number(value);
    renderChart(group);
  }

  function renderGroup(group) {
    const { section, summary } = group;
    section.querySelector('h2').textContent = summary.name ? `${summary.name} (${summary.id})` : summary.id;
    const source = section.querySelector('.source');
    source.textContent = summary.source;
    source.dataset.source = summary.source;
    section.dataset.source = summary.source;
    section
      .querySelector('.figures')
      .replaceChildren(
        ...figure('capacity in force', DashboardShape.formatAmps(summary.capacityA)),
        ...figure('allocated', DashboardShape.formatAmps(summary.allocatedA)),
        ...figure('measured', DashboardShape.formatAmps(summary.measuredA)),
        ...figure('headroom', DashboardShape.formatAmps(summary.headroomA)),
        ...figure('grid peer', summary.peerId ? `${summary.peerId}${summary.peerState ? ` (${summary.peerState})` : ''}` : '–'),
        ...figure('plan computed', group.plan && group.plan.computedAt ? new Date(group.plan.computedAt).toLocaleTimeString() : '–'),
      );
    section.querySelector('.stations').replaceChildren(
      table(
        [
          ['id', 'Station'],
          ['connection', 'Connection'],
          ['controllable', 'Controllable'],
          ['inForce', 'May draw now'],
          ['live', 'Live lease'],
          ['standing', 'Standing limit'],
          ['maximum', 'Hardware max'],
          ['sessions', 'Sessions'],
          ['notes', ''],
        ],
        DashboardShape.stationRows(group.stations, Date.now() / 1000),
        'No station in this group yet.',
      ),
    );
    section.querySelector('.sessions').replaceChildren(
      table(
        [
          ['transactionId', 'Transaction'],
          ['station', 'Station / EVSE'],
          ['limit', 'Limit now'],
          ['reason', 'Why'],
        ],
        DashboardShape.sessionRows(group.plan, Date.now() / 1000).map((row) => ({ ...row, id: row.transactionId })),
        'No charging session.',
      ),
    );
    renderChart(group);
  }

  function figure(label, value) {
    return [el('dt', {}, label), el('dd', { 'data-figure': label }, value)];
  }

  // ---- chart ---------------------------------------------------------------------------------------------------------

  const stepped = uPlot.paths.stepped({ align: 1 });

  /** Draws a vertical line at the current time: left of it is history, right of it the plan. */
  function nowLine(u) {
    const x = u.valToPos(Date.now() / 1000, 'x', true);
    if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) return;
    const ctx = u.ctx;
    ctx.save();
    ctx.strokeStyle = '#57606a';
    ctx.setLineDash([2, 3]);
    ctx.beginPath();
    ctx.moveTo(x, u.bbox.top);
    ctx.lineTo(x, u.bbox.top + u.bbox.height);
    ctx.stroke();
    ctx.restore();
  }

  function chartOptions(width) {
    return {
      width,
      height: CHART_HEIGHT,
      scales: { x: { time: true }, y: { range: (_u, min, max) => [0, Math.max(10, max * 1.1)] } },
      axes: [{}, { label: 'A per phase', size: 50 }],
      series: [
        {},
        { label: 'capacity (forecast)', stroke: '#1f6feb', width: 2, paths: stepped },
        { label: 'capacity (fallback / safe default)', stroke: '#cf222e', width: 2, dash: [8, 4], paths: stepped },
        { label: 'allocated', stroke: '#8250df', width: 1.5, fill: 'rgba(130, 80, 223, 0.12)', paths: stepped },
        { label: 'measured', stroke: '#1a7f37', width: 2 },
      ],
      hooks: { draw: [nowLine] },
    };
  }

  function renderChart(group) {
    const phase = group.phase === 'auto' ? DashboardShape.tightestPhase(group.summary) : group.phase;
    const data = DashboardShape.chartColumns(group.history, group.plan, phase, Date.now() / 1000);
    const container = group.section.querySelector('.chart');
    // Counts per series, for a glance in the developer tools and for the browser test.
    container.dataset.phase = DashboardShape.PHASES[phase];
    container.dataset.capacityForecast = DashboardShape.countValues(data[1]);
    container.dataset.capacityFallback = DashboardShape.countValues(data[2]);
    container.dataset.allocated = DashboardShape.countValues(data[3]);
    container.dataset.measured = DashboardShape.countValues(data[4]);
    if (group.chart) group.chart.setData(data);
    else group.chart = new uPlot(chartOptions(chartWidth(container)), data, container);
  }

  function chartWidth(container) {
    return Math.max(320, container.clientWidth || 800);
  }

  function onResize() {
    for (const group of groups.values()) {
      if (group.chart) group.chart.setSize({ width: chartWidth(group.section.querySelector('.chart')), height: CHART_HEIGHT });
    }
  }

  // ---- banners -------------------------------------------------------------------------------------------------------

  function renderBanners() {
    const banners = [];
    for (const [id, group] of groups) {
      const banner = DashboardShape.bannerFor(group.summary);
      if (banner) banners.push(el('div', { class: `banner ${banner.level}`, role: 'alert', 'data-group': id }, banner.text));
    }
    byId('banners').replaceChildren(...banners);
  }

  // ---- live updates --------------------------------------------------------------------------------------------------

  function openEvents() {
    if (events) events.close();
    events = new EventSource(`${API}/events?token=${encodeURIComponent(token)}`);
    events.onopen = () => {
      setStatus('live', 'live');
      // Whatever happened while the stream was down is not replayed: reload everything once.
      scheduleFullRefresh();
    };
    events.onerror = () => {
      if (events.readyState === EventSource.CLOSED) {
        setStatus('error', 'event stream closed');
        // Closed for good is usually a refused token: the next API call tells.
        api('/groups').then(openEvents, handleError);
      } else {
        setStatus('reconnecting', 'reconnecting…');
      }
    };
    const onEvent = (message) => {
      const groupId = DashboardShape.eventGroupId(message.data);
      if (groupId) refreshGroup(groupId);
      else scheduleFullRefresh();
    };
    for (const name of DashboardShape.REFRESH_EVENTS) events.addEventListener(name, onEvent);
    events.onmessage = onEvent;
  }

  function start() {
    setStatus('loading', 'loading…');
    loadAll()
      .then(() => {
        setUpdated();
        openEvents();
      })
      .catch(handleError);
  }

  function main() {
    byId('login').addEventListener('submit', onTokenSubmit);
    byId('sign-out').addEventListener('click', () => askForToken('Signed out.'));
    window.addEventListener('resize', onResize);
    setInterval(() => {
      if (token) scheduleFullRefresh();
    }, PERIODIC_REFRESH_MS);
    token = initialToken();
    if (token) start();
    else askForToken();
  }

  main();
})();
