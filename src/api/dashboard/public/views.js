// The dashboard's views beside the groups: sessions (paged by the API's cursor), the event log with a time strip,
// refused connections with their reasons as bars, overrides (list, remove, set with an admin token) and OSCP peers.
/* global window, document, setTimeout, clearTimeout, setInterval, DashboardDom, DashboardRows, DashboardShape */
(function () {
  'use strict';

  const { el, byId, dataTable } = DashboardDom;
  const R = DashboardRows;
  const LOGGED = Object.keys(R.EVENT_KINDS);
  const DAY_S = 86400;
  const SESSION_PAGE = 100;

  function query(params) {
    const parts = Object.entries(params)
      .filter(([, v]) => v !== undefined && v !== '')
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`);
    return parts.length ? `?${parts.join('&')}` : '';
  }

  function bar(share, label, kind) {
    const width = `${Math.round(Math.min(1, Math.max(0, share)) * 100)}%`;
    const fill = el('span', { class: `bar-fill ${kind || ''}` });
    // CSP allows no inline style attribute from markup, but CSSOM styles are ours to set.
    fill.style.width = width;
    return el('span', { class: 'bar', title: label, 'data-share': share.toFixed(3) }, fill);
  }

  // ---- sessions --------------------------------------------------------------------------------------------------

  function sessionsView(ctx) {
    const state = el(
      'select',
      { 'aria-label': 'session state' },
      el('option', { value: 'active' }, 'active'),
      el('option', { value: 'ended' }, 'ended'),
    );
    const group = el('select', { 'aria-label': 'group' });
    const station = el('input', { type: 'search', placeholder: 'station id', 'aria-label': 'station id' });
    const position = el('span', { class: 'count' });
    const cursors = [''];
    let page = 0;
    let nextCursor = null;
    const previous = el('button', { type: 'button', onclick: () => go(page - 1) }, '‹ previous page');
    const next = el('button', { type: 'button', onclick: () => go(page + 1) }, 'next page ›');
    const table = dataTable(
      [
        ['transactionId', 'Transaction'],
        ['station', 'Station / EVSE'],
        ['groupId', 'Group'],
        ['state', 'State'],
        ['started', 'Started'],
        ['ended', 'Ended'],
        ['energy', 'Energy'],
        ['limit', 'Limit now'],
        ['reason', 'Why'],
      ],
      { name: 'sessions', pageSize: Infinity, emptyText: 'No session matches.' },
    );
    const restart = () => {
      cursors.length = 1;
      go(0);
    };
    state.addEventListener('change', restart);
    group.addEventListener('change', restart);
    station.addEventListener('change', restart);
    byId('view-sessions').replaceChildren(
      el('h2', {}, 'Sessions'),
      el(
        'div',
        { class: 'controls' },
        el('label', {}, 'State ', state),
        el('label', {}, 'Group ', group),
        station,
        previous,
        position,
        next,
      ),
      el(
        'p',
        { class: 'hint' },
        'Pages of 100 from the API (ended sessions: the whole stored history, newest first); the header sorts and the filter searches within the page.',
      ),
      table.element,
    );

    async function go(target) {
      if (target < 0 || target > cursors.length - 1) return;
      const answer = await ctx.api(
        `/sessions${query({ state: state.value, groupId: group.value, stationId: station.value.trim(), limit: SESSION_PAGE, cursor: cursors[target] })}`,
      );
      page = target;
      nextCursor = answer.nextCursor;
      if (nextCursor && cursors.length === page + 1) cursors.push(nextCursor);
      table.setRows(R.sessionListRows(answer.items));
      const first = answer.items.length === 0 ? 0 : page * SESSION_PAGE + 1;
      position.textContent = `${first}–${page * SESSION_PAGE + answer.items.length} of ${answer.total}`;
      position.dataset.total = String(answer.total);
      previous.disabled = page === 0;
      next.disabled = !nextCursor;
    }

    return {
      load() {
        const ids = ctx.groupIds();
        if (group.options.length !== ids.length + 1)
          group.replaceChildren(el('option', { value: '' }, 'all'), ...ids.map((id) => el('option', { value: id }, id)));
        return go(page);
      },
      onEvent: (name) => (name === 'session.started' || name === 'session.ended' ? 'reload' : undefined),
    };
  }

  // ---- event log -------------------------------------------------------------------------------------------------

  function eventsView(ctx) {
    const kinds = ['fallback', 'compliance', 'override', 'station', 'refused'];
    const kind = el(
      'select',
      { 'aria-label': 'kind of event' },
      el('option', { value: '' }, 'all events'),
      ...kinds.map((k) => el('option', { value: k }, k)),
    );
    const strip = el('div', { class: 'timeline', 'aria-label': 'events of the last 24 hours' });
    const axis = el('div', { class: 'timeline-axis' });
    const table = dataTable(
      [
        ['time', 'Time'],
        ['kind', 'Kind'],
        ['subject', 'Group / station'],
        ['text', 'What happened'],
      ],
      {
        name: 'events',
        emptyText: 'No event yet.',
        cell: (key, row) => (key === 'kind' ? el('span', { class: `kind ${row.kind}` }, row.kind) : row[key]),
      },
    );
    kind.addEventListener('change', () => load());
    byId('view-events').replaceChildren(
      el('h2', {}, 'Event log'),
      el('div', { class: 'controls' }, el('label', {}, 'Show ', kind)),
      el('div', { class: 'timeline-box' }, strip, axis),
      el(
        'p',
        { class: 'hint' },
        'Each mark is an event of the last 24 hours (hover for what happened); the table filters by text, e.g. a station id.',
      ),
      table.element,
    );

    async function load() {
      const names = kind.value ? LOGGED.filter((name) => R.EVENT_KINDS[name] === kind.value) : [];
      const page = await ctx.api(`/event-log${query({ event: names.join(','), limit: 1000 })}`);
      const nowS = Date.now() / 1000;
      strip.replaceChildren(
        ...R.timelineMarks(page.items, nowS - DAY_S, nowS).map((mark) => {
          const dot = el('span', { class: `mark ${mark.kind}`, title: mark.title, 'data-kind': mark.kind });
          dot.style.left = `${(mark.at * 100).toFixed(2)}%`;
          return dot;
        }),
      );
      axis.replaceChildren(
        ...[24, 18, 12, 6, 0].map((h) => {
          const tick = el('span', {}, h === 0 ? `now ${DashboardShape.formatTime(nowS * 1000)}` : `−${h} h`);
          tick.style.left = `${((24 - h) / 24) * 100}%`;
          return tick;
        }),
      );
      strip.dataset.marks = String(strip.childElementCount);
      table.setRows(R.eventRows(page.items));
    }

    return { load, onEvent: (name) => (LOGGED.includes(name) ? 'reload' : undefined) };
  }

  // ---- refused connections ---------------------------------------------------------------------------------------

  function refusedView(ctx) {
    const identity = el('input', { type: 'search', placeholder: 'station identity', 'aria-label': 'station identity' });
    identity.addEventListener('change', () => load());
    const reasons = el('div', { class: 'reasons' });
    const table = dataTable(
      [
        ['time', 'Time'],
        ['identity', 'Identity'],
        ['remoteAddress', 'From'],
        ['status', 'HTTP'],
        ['reason', 'Why it was refused'],
      ],
      { name: 'refused', emptyText: 'No refused connection.' },
    );
    byId('view-refused').replaceChildren(
      el('h2', {}, 'Refused connections'),
      el(
        'p',
        { class: 'hint' },
        'Every station upgrade flexbridge refused, newest first, with exactly why (never a password). For the engineer at a charger that does not connect: enter its identity.',
      ),
      el('div', { class: 'controls' }, el('label', {}, 'Identity ', identity)),
      el('h3', {}, 'By reason'),
      reasons,
      table.element,
    );

    async function load() {
      const attempts = await ctx.api(`/connection-attempts${query({ identity: identity.value.trim() })}`);
      const counts = R.reasonCounts(attempts);
      reasons.replaceChildren(
        ...(counts.length === 0
          ? [el('p', { class: 'empty' }, 'None.')]
          : counts.map((c) =>
              el(
                'div',
                { class: 'reason-row' },
                bar(c.share, `${c.count}×`, 'refused'),
                el('span', { class: 'reason-count' }, `${c.count}×`),
                el('span', {}, c.reason),
              ),
            )),
      );
      table.setRows(R.refusedRows(attempts));
    }

    return { load, onEvent: (name) => (name === 'station.refused' ? 'reload' : undefined) };
  }

  // ---- overrides -------------------------------------------------------------------------------------------------

  function overridesView(ctx) {
    const message = el('p', { class: 'form-message', 'aria-live': 'polite' });
    const adminToken = el('input', {
      type: 'password',
      autocomplete: 'off',
      'aria-label': 'admin token',
      placeholder: 'admin token (if this page’s is read-only)',
    });
    const table = dataTable(
      [
        ['kind', 'Kind'],
        ['target', 'Target'],
        ['value', 'Value'],
        ['expires', 'Expires'],
        ['remaining', 'Next 24 h'],
        ['actions', ''],
      ],
      {
        name: 'overrides',
        filter: false,
        emptyText: 'No override in force.',
        cell: (key, row) =>
          key === 'remaining'
            ? bar(row.remaining, row.expires, 'override')
            : key === 'actions'
              ? el('button', { type: 'button', class: 'remove', onclick: () => remove(row) }, 'Remove')
              : row[key],
      },
    );
    const kind = el(
      'select',
      { name: 'kind', 'aria-label': 'override kind' },
      el('option', { value: 'group-cap' }, 'cap a group'),
      el('option', { value: 'station-pause' }, 'pause a station'),
      el('option', { value: 'session-priority' }, 'prioritise a session'),
    );
    const target = el('input', {
      name: 'target',
      required: true,
      'aria-label': 'group, station or transaction id',
      placeholder: 'group id',
    });
    const value = el('input', { name: 'value', type: 'number', step: '0.1', 'aria-label': 'limit in A', placeholder: 'A per phase' });
    const minutes = el('input', { name: 'minutes', type: 'number', min: '1', value: '60', 'aria-label': 'minutes', required: true });
    kind.addEventListener('change', () => {
      target.placeholder = kind.value === 'group-cap' ? 'group id' : kind.value === 'station-pause' ? 'station id' : 'transaction id';
      value.hidden = kind.value === 'station-pause';
      value.placeholder = kind.value === 'group-cap' ? 'A per phase' : 'priority −9…9';
      value.step = kind.value === 'group-cap' ? '0.1' : '1';
    });
    const form = el(
      'form',
      { class: 'override-form', onsubmit: (event) => submit(event) },
      el('label', {}, 'Kind ', kind),
      el('label', {}, 'Target ', target),
      el('label', {}, 'Value ', value),
      el('label', {}, 'For ', minutes, ' min'),
      adminToken,
      el('button', { type: 'submit' }, 'Set override'),
    );
    byId('view-overrides').replaceChildren(
      el('h2', {}, 'Overrides'),
      el(
        'p',
        { class: 'hint' },
        'A cap, pause or priority replaces the one for the same target and ends by itself at its expiry; the plan follows at once. Setting and removing need the admin role.',
      ),
      table.element,
      el('h3', {}, 'Set an override'),
      form,
      message,
    );

    function say(text, ok) {
      message.textContent = text;
      message.dataset.ok = String(ok);
    }

    function problemText(answer) {
      const body = answer.body || {};
      const fields = Array.isArray(body.errors) ? body.errors.map((e) => `${e.path}: ${e.message}`).join('; ') : '';
      if (answer.status === 401 || answer.status === 403)
        return `refused (${answer.status}): setting overrides needs a token with the admin role`;
      return `refused (${answer.status}): ${body.detail || ''}${fields ? ` — ${fields}` : ''}`;
    }

    async function submit(event) {
      event.preventDefault();
      const expiresAtMs = Date.now() + Math.round(Number(minutes.value) * 60_000);
      const id = target.value.trim();
      const body =
        kind.value === 'group-cap'
          ? { kind: 'group-cap', groupId: id, limitA: Number(value.value), expiresAtMs }
          : kind.value === 'station-pause'
            ? { kind: 'station-pause', stationId: id, expiresAtMs }
            : { kind: 'session-priority', transactionId: id, priority: Number(value.value), expiresAtMs };
      const answer = await ctx.apiSend('POST', '/overrides', body, adminToken.value.trim());
      if (answer.status === 201) say(`set: ${kind.value} ${id} until ${DashboardShape.formatTime(expiresAtMs)}`, true);
      else say(problemText(answer), false);
      await load();
    }

    async function remove(row) {
      const answer = await ctx.apiSend('DELETE', '/overrides', row.body, adminToken.value.trim());
      if (answer.status === 204) say(`removed: ${row.kind} ${row.target}`, true);
      else say(problemText(answer), false);
      await load();
    }

    async function load() {
      table.setRows(R.overrideRows(await ctx.api('/overrides'), Date.now() / 1000));
    }

    return { load, onEvent: (name) => (name.startsWith('override.') ? 'reload' : undefined) };
  }

  // ---- peers -----------------------------------------------------------------------------------------------------

  function peersView(ctx) {
    const table = dataTable(
      [
        ['id', 'Peer'],
        ['role', 'Role'],
        ['state', 'OSCP state'],
        ['online', 'Online'],
        ['lastHeard', 'Last heard (heartbeat or change)'],
        ['offlineModeAt', 'offline_mode_at'],
        ['used', 'Time to offline used'],
        ['heartbeat', 'Heartbeat'],
        ['groups', 'Groups'],
      ],
      {
        name: 'peers',
        filter: false,
        emptyText: 'No OSCP peer is configured.',
        cell: (key, row) =>
          key === 'used'
            ? row.used === undefined
              ? '–'
              : bar(
                  row.used,
                  `${Math.round(row.used * 100)} % of the time between the last word and offline_mode_at`,
                  row.used >= 1 ? 'late' : 'peer',
                )
            : row[key],
      },
    );
    byId('view-peers').replaceChildren(
      el('h2', {}, 'OSCP peers'),
      el(
        'p',
        { class: 'hint' },
        'The bar fills from the last message heard towards offline_mode_at; full means the peer is late, and its groups go to their fallback capacity after the grace period.',
      ),
      table.element,
    );
    return {
      async load() {
        table.setRows(R.peerRows(await ctx.api('/peers'), Date.now() / 1000));
      },
      onEvent: (name) => (name.startsWith('fallback.') ? 'reload' : undefined),
      everyFewSeconds: true,
    };
  }

  const BUILDERS = { sessions: sessionsView, events: eventsView, refused: refusedView, overrides: overridesView, peers: peersView };
  /** Events the views listen to besides the groups' refresh events. */
  const EVENTS = [...new Set([...LOGGED, 'session.started', 'session.ended'])];
  const DEBOUNCE_MS = 300;
  const POLL_MS = 5000;

  /** `ctx`: { api(path), apiSend(method, path, body, adminToken), groupIds(), onError(error) }. */
  function create(ctx) {
    const built = new Map();
    let visible;
    let timer;
    const reload = () => {
      const view = visible && built.get(visible);
      if (view) Promise.resolve(view.load()).catch(ctx.onError);
    };
    setInterval(() => {
      const view = visible && built.get(visible);
      if (view && view.everyFewSeconds && !document.hidden) reload();
    }, POLL_MS);
    return {
      show(name) {
        if (!BUILDERS[name]) return;
        if (!built.has(name)) built.set(name, BUILDERS[name](ctx));
        visible = name;
        reload();
      },
      hide() {
        visible = undefined;
      },
      /** A live event: the view on screen reloads (once per burst) when it shows what the event changes. */
      onEvent(name) {
        const view = visible && built.get(visible);
        if (!view || view.onEvent(name) !== 'reload') return;
        clearTimeout(timer);
        timer = setTimeout(reload, DEBOUNCE_MS);
      },
    };
  }

  window.DashboardViews = { create, EVENTS };
})();
