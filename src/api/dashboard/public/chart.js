// The group chart (uPlot): capacity on forecast and on fallback, allocated, measured and an operator cap as steps
// over history and plan, a "now" line, and a window of the last 2 h and next 6 h unless the operator zoomed.
/* global window, uPlot, DashboardShape */
(function () {
  'use strict';

  const CHART_HEIGHT = 260;

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

  function chartOptions(width, group) {
    return {
      width,
      height: CHART_HEIGHT,
      scales: { x: { time: true }, y: { range: (_u, min, max) => [0, Math.max(10, max * 1.1)] } },
      axes: [
        { label: `time (${DashboardShape.timeZoneName(Date.now() / 1000)})`, labelSize: 20 },
        { label: 'A per phase', size: 50 },
      ],
      series: [
        {},
        // Steps are lines, not dots: uPlot would mark every block when few are in view.
        { label: 'capacity (forecast)', stroke: '#1f6feb', width: 2, paths: stepped, points: { show: false } },
        { label: 'capacity (fallback / safe default)', stroke: '#cf222e', width: 2, dash: [8, 4], paths: stepped, points: { show: false } },
        { label: 'allocated', stroke: '#8250df', width: 1.5, fill: 'rgba(130, 80, 223, 0.12)', paths: stepped, points: { show: false } },
        { label: 'measured', stroke: '#1a7f37', width: 2 },
        { label: 'operator cap', stroke: '#e16f24', width: 3, paths: stepped, points: { show: false } },
      ],
      hooks: {
        draw: [nowLine],
        // A drag-zoom by the operator is kept across refreshes (a double-click shows everything, see render).
        setSelect: [
          (u) => {
            if (u.select.width > 0) group.window = 'zoomed';
          },
        ],
        setScale: [(u, key) => key === 'x' && markWindow(group, u)],
      },
    };
  }

  /** The x range shown, for a glance in the developer tools and for the browser test. */
  function markWindow(group, u) {
    const container = group.section.querySelector('.chart');
    const { min, max } = u.scales.x;
    if (typeof min === 'number' && typeof max === 'number') {
      container.dataset.windowStart = new Date(min * 1000).toISOString();
      container.dataset.windowEnd = new Date(max * 1000).toISOString();
      container.dataset.window = group.window;
    }
  }

  function applyWindow(group) {
    if (!group.chart || group.window === 'zoomed') return;
    const xs = group.chart.data[0];
    const range =
      group.window === 'all' && xs.length > 1 ? { min: xs[0], max: xs[xs.length - 1] } : DashboardShape.defaultWindow(Date.now() / 1000);
    group.chart.setScale('x', range);
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
    container.dataset.operatorCap = DashboardShape.countValues(data[5]);
    if (group.chart) group.chart.setData(data, group.window !== 'zoomed');
    else {
      group.chart = new uPlot(chartOptions(chartWidth(container), group), data, container);
      // uPlot's double-click shows all the data: keep showing all of it.
      container.addEventListener('dblclick', () => {
        group.window = 'all';
        const select = group.section.querySelector('select.window');
        if (select) select.value = 'all';
      });
    }
    applyWindow(group);
  }

  function chartWidth(container) {
    return Math.max(320, container.clientWidth || 800);
  }

  function resize(group) {
    if (group.chart) group.chart.setSize({ width: chartWidth(group.section.querySelector('.chart')), height: CHART_HEIGHT });
  }

  window.DashboardChart = { render: renderChart, applyWindow, resize };
})();
