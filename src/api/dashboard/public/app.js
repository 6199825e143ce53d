// The operator dashboard page: asks the REST API for groups, plans, history and stations, draws them, and
// reloads a group when the server-sent event stream says it changed; the other views (DashboardViews) get the
// events too. Plain script; shapes data with DashboardShape, builds DOM with DashboardDom.
/* global window, document, sessionStorage, fetch, EventSource, URL, setTimeout, clearTimeout, setInterval, DashboardShape, DashboardDom, DashboardChart, DashboardViews, DashboardStationPage */
(function () {
  'use strict';

  const TOKEN_KEY = 'flexbridge.apiToken';
  const API = '/api/v1';
  /** Several events about one group in a burst (a plan applied to ten stations) cause one reload. */
  const DEBOUNCE_MS = 300;
  /** History grows and "now" moves even when nothing happens. */
  const PERIODIC_REFRESH_MS = 60_000;

  const groups = new Map(); // id → { section, chart, phase: 'auto' | 0..2, summary, plan, history, timer }
  let token;
  let events;

  class AuthError extends Error {}

  const { el, byId, dataTable } = DashboardDom;

  function setStatus(state, text) {
    const status = byId('status');
    status.dataset.state = state;
    status.textContent = text;
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

  /** A change (admin role): with `adminToken` if given, else the page's token. Answers { status, body } whatever the status. */
  async function apiSend(method, path, body, adminToken) {
    const response = await fetch(API + path, {
      method,
      headers: { Authorization: `Bearer ${adminToken || token}`, Accept: 'application/json', 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
      credentials: 'omit',
    });
    const text = await response.text();
    let parsed;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: response.status, body: parsed };
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
    byId('updated').textContent = `updated ${DashboardShape.formatTime(Date.now())}`;
  }

  function createGroup(id) {
    const phaseSelect = el(
      'select',
      { 'aria-label': 'phase shown in the chart', onchange: () => onPhaseChange(id, phaseSelect.value) },
      el('option', { value: 'auto' }, 'tightest phase'),
      DashboardShape.PHASES.map((name, i) => el('option', { value: String(i) }, name)),
    );
    const windowSelect = el(
      'select',
      { 'aria-label': 'time window of the chart', class: 'window', onchange: () => onWindowChange(id, windowSelect.value) },
      el('option', { value: 'default' }, 'last 2 h, next 6 h'),
      el('option', { value: 'all' }, 'everything (24 h plan)'),
    );
    const stations = dataTable(
      [
        ['id', 'Station'],
        ['connection', 'Connection'],
        ['protocol', 'Protocol'],
        ['controllable', 'Controllable'],
        ['inForce', 'May draw now'],
        ['live', 'Live lease'],
        ['standing', 'Standing limit'],
        ['maximum', 'Hardware max'],
        ['sessions', 'Sessions'],
        ['notes', ''],
      ],
      {
        name: 'stations',
        emptyText: 'No station in this group yet.',
        // Each station opens its own page.
        cell: (key, row) =>
          key === 'id' ? el('a', { href: `#station/${encodeURIComponent(row.id)}`, class: 'station-link' }, row.id) : row[key],
      },
    );
    const sessions = dataTable(
      [
        ['transactionId', 'Transaction'],
        ['station', 'Station / EVSE'],
        ['limit', 'Limit now'],
        ['reason', 'Why'],
      ],
      { name: 'plan-sessions', emptyText: 'No charging session.' },
    );
    const section = el(
      'section',
      { class: 'group', 'data-group': id },
      el(
        'header',
        {},
        el('h2', {}, id),
        el('span', { class: 'source' }),
        el('label', {}, 'Window ', windowSelect),
        el('label', {}, 'Chart ', phaseSelect),
      ),
      el('dl', { class: 'figures' }),
      el('div', { class: 'chart' }),
      el(
        'p',
        { class: 'hint' },
        'Left of the dotted line: what happened; right: the plan. An orange line is an operator cap, drawn until it expires. ',
        'Drag to zoom, double-click for everything.',
      ),
      el('h3', {}, 'Stations'),
      el('div', { class: 'stations' }, stations.element),
      el('h3', {}, 'Sessions in the plan'),
      el('div', { class: 'sessions' }, sessions.element),
    );
    byId('groups').append(section);
    const group = { section, chart: undefined, phase: 'auto', window: 'default', stationsTable: stations, sessionsTable: sessions };
    groups.set(id, group);
    return group;
  }

  function onWindowChange(id, value) {
    const group = groups.get(id);
    group.window = value;
    DashboardChart.applyWindow(group);
  }

  function onPhaseChange(id, value) {
    const group = groups.get(id);
    group.phase = value === 'auto' ? 'auto' : Number(value);
    DashboardChart.render(group);
  }

  function renderGroup(group) {
    const { section, summary } = group;
    section.querySelector('h2').textContent = summary.name ? `${summary.name} (${summary.id})` : summary.id;
    const source = section.querySelector('.source');
    const badge = DashboardShape.badgeFor(summary);
    source.textContent = badge.text;
    source.title = badge.title;
    source.dataset.source = summary.source;
    source.dataset.capped = String(badge.capped);
    section.dataset.source = summary.source;
    section.dataset.capped = String(badge.capped);
    const cap = summary.operatorCap;
    section
      .querySelector('.figures')
      .replaceChildren(
        ...[
          figure('capacity in force', DashboardShape.formatAmps(summary.capacityA)),
          cap ? figure('grid grants', DashboardShape.formatAmps(summary.gridCapacityA)) : null,
          cap ? figure('operator cap', `${DashboardShape.formatAmps(cap.limitA)} until ${DashboardShape.formatTime(cap.expiresAt)}`) : null,
          figure('allocated', DashboardShape.formatAmps(summary.allocatedA)),
          figure('measured', DashboardShape.formatAmps(summary.measuredA)),
          figure('headroom', DashboardShape.formatAmps(summary.headroomA)),
          figure('grid peer', summary.peerId ? `${summary.peerId}${summary.peerState ? ` (${summary.peerState})` : ''}` : '–'),
          figure('plan computed', group.plan && group.plan.computedAt ? DashboardShape.formatTime(group.plan.computedAt) : '–'),
        ].filter(Boolean),
      );
    const nowS = Date.now() / 1000;
    group.stationsTable.setRows(DashboardShape.stationRows(group.stations, nowS));
    group.sessionsTable.setRows(DashboardShape.sessionRows(group.plan, nowS).map((row) => ({ ...row, id: row.transactionId })));
    DashboardChart.render(group);
  }

  /** A label and its value in one grid cell, so they stay together at any width. */
  function figure(label, value) {
    return el('div', { class: 'figure' }, el('dt', {}, label), el('dd', { 'data-figure': label }, value));
  }

  function onResize() {
    for (const group of groups.values()) DashboardChart.resize(group);
    stationPage.resize();
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
    for (const name of DashboardViews.EVENTS) events.addEventListener(name, (message) => views.onEvent(name, message.data));
    events.addEventListener('station.frame', (message) => stationPage.onFrame(JSON.parse(message.data)));
    for (const name of STATION_PAGE_EVENTS) events.addEventListener(name, (message) => onStationEvent(message.data));
    events.onmessage = onEvent;
  }

  // ---- views ---------------------------------------------------------------------------------------------------------

  const VIEWS = ['groups', 'sessions', 'events', 'refused', 'overrides', 'peers', 'station'];
  const views = DashboardViews.create({ api, apiSend, groupIds: () => [...groups.keys()], onError: (error) => handleError(error) });
  const stationPage = DashboardStationPage.create({ api, apiSend, onError: (error) => handleError(error) });
  /** Events that change what the station page shows (reloaded once per burst). */
  const STATION_PAGE_EVENTS = ['station.online', 'station.offline', 'station.refused', 'session.started', 'session.ended', 'plan.applied'];
  let stationTimer;

  function onStationEvent(text) {
    const id = stationPage.stationId;
    if (!id || byId('view-station').hidden) return;
    let data;
    try {
      data = JSON.parse(text);
    } catch {
      return;
    }
    if (data.stationId !== id && data.identity !== id && data.groupId === undefined) return;
    clearTimeout(stationTimer);
    stationTimer = setTimeout(() => stationPage.reload().catch(handleError), DEBOUNCE_MS);
  }

  /** The view named in the address (#events, #station/CP-1 …); groups by default. */
  function showView() {
    const hash = window.location.hash.slice(1);
    const stationMatch = /^station\/(.+)$/.exec(hash);
    const name = stationMatch ? 'station' : VIEWS.includes(hash) ? hash : 'groups';
    for (const view of VIEWS) {
      byId(`view-${view}`).hidden = view !== name;
      const link = document.querySelector(`#nav a[href="#${view}"]`);
      if (link) link.setAttribute('aria-current', view === name ? 'page' : 'false');
    }
    if (name === 'groups') {
      views.hide();
      onResize();
    } else if (name === 'station') {
      views.hide();
      if (token) stationPage.show(decodeURIComponent(stationMatch[1])).catch(handleError);
    } else if (token) views.show(name);
  }

  function start() {
    setStatus('loading', 'loading…');
    showView();
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
    window.addEventListener('hashchange', showView);
    setInterval(() => {
      if (token) scheduleFullRefresh();
    }, PERIODIC_REFRESH_MS);
    token = initialToken();
    if (token) start();
    else askForToken();
  }

  main();
})();
