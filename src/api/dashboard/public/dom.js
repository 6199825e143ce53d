// DOM helpers of the dashboard: element building (text as text nodes, never HTML) and a data table that sorts on a
// header click, filters as one types and pages 1,000+ rows (the row logic is DashboardRows.viewRows).
/* global window, document, DashboardRows */
(function () {
  'use strict';

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

  /**
   * A table with a filter box, sortable headers and pages. `columns`: [key, label]. `options.pageSize` (default 50;
   * Infinity: no paging), `options.filter` (default true), `options.name` (names the table in data-table for tests),
   * `options.cell(key, row)` to render a cell's content. `setRows` keeps the filter, sort and page across refreshes.
   */
  function dataTable(columns, options) {
    const { pageSize = 50, filter = true, emptyText = 'Nothing to show.', name = '', cell } = options || {};
    const state = { filter: '', sortKey: undefined, sortDir: 'asc', page: 0 };
    let rows = [];
    const input = el('input', {
      type: 'search',
      placeholder: 'filter…',
      'aria-label': `filter ${name || 'rows'}`,
      oninput: () => {
        state.filter = input.value;
        state.page = 0;
        render();
      },
    });
    const count = el('span', { class: 'count' });
    const previous = el('button', { type: 'button', class: 'previous', onclick: () => turn(-1) }, '‹ previous');
    const next = el('button', { type: 'button', class: 'next', onclick: () => turn(1) }, 'next ›');
    const headers = columns.map(([key, label]) =>
      el('th', { 'data-col': key, 'aria-sort': 'none' }, el('button', { type: 'button', onclick: () => sortBy(key) }, label)),
    );
    const body = el('tbody');
    const empty = el('p', { class: 'empty' }, emptyText);
    const table = el('table', {}, el('thead', {}, el('tr', {}, headers)), body);
    const paged = Number.isFinite(pageSize);
    const tools = el('div', { class: 'table-tools' }, filter ? input : null, count, paged ? previous : null, paged ? next : null);
    const element = el('div', { class: 'data-table', 'data-table': name }, tools, table, empty);

    function sortBy(key) {
      state.sortDir = state.sortKey === key && state.sortDir === 'asc' ? 'desc' : 'asc';
      state.sortKey = key;
      render();
    }

    function turn(step) {
      state.page += step;
      render();
    }

    function render() {
      const view = DashboardRows.viewRows(rows, { ...state, pageSize, columns: columns.map(([key]) => key) });
      state.page = view.page;
      body.replaceChildren(
        ...view.rows.map((row) =>
          el(
            'tr',
            { 'data-id': row.id },
            columns.map(([key]) => el('td', { 'data-col': key, 'data-value': row[key] }, cell ? cell(key, row) : row[key])),
          ),
        ),
      );
      for (const th of headers)
        th.setAttribute('aria-sort', th.dataset.col === state.sortKey ? (state.sortDir === 'asc' ? 'ascending' : 'descending') : 'none');
      count.textContent =
        view.matching === view.total
          ? `${view.first}–${view.last} of ${view.total}`
          : `${view.first}–${view.last} of ${view.matching} matching (${view.total} in all)`;
      previous.disabled = view.page === 0;
      next.disabled = view.page >= view.pages - 1;
      table.hidden = view.rows.length === 0;
      empty.hidden = view.rows.length > 0;
      tools.hidden = rows.length === 0;
    }

    render();
    return {
      element,
      setRows(list) {
        rows = Array.isArray(list) ? list : [];
        render();
      },
    };
  }

  window.DashboardDom = { el, byId, dataTable };
})();
