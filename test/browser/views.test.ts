// The dashboard's operator views in a real browser (chromium via playwright-core) against a real agent started
// in-process with simulated stations, all on 127.0.0.1 with ports 0, at 820 and at 1400 px: refused connections
// (reasons as bars, filter by identity, live over SSE), the overrides form (refused with a read token, set with an
// admin token, shown on the group as badge and chart, removed), the event log (kinds, time strip, live), the figures
// grid (each label above its value), the chart's default window, and no page wider than the window.
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { chromium, type Browser, type Page } from 'playwright-core';
import { WebSocket } from 'ws';
import { startAgent, type Agent } from '../../src/agent';
import { parseConfig } from '../../src/config/load';
import { createLogger } from '../../src/observability/log';
import { createFleet, type Fleet } from '../../simulators/ocpp-station';
import { eventually } from '../e2e/harness';
import { findChromium } from '../helpers/browser';
import { tempDir } from '../helpers/processes';

const GROUP = 'depot';
const READ_TOKEN = 'views-read-token-0123456789';
const ADMIN_TOKEN = 'views-admin-token-0123456789';
const STATION_PASSWORD = 'views-station-pw-0001';
const WIDTHS = [820, 1400] as const;

/** An upgrade without credentials: refused 401 by the agent (auto-registration still needs a password). */
function refusedUpgrade(url: string): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, ['ocpp2.0.1']);
    ws.on('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      ws.terminate();
    });
    ws.on('open', () => {
      resolve(101);
      ws.close();
    });
    ws.on('error', () => resolve(-1));
  });
}

describe('dashboard views — refused connections, overrides, event log, at 820 and 1400 px', () => {
  const { dir, cleanup } = tempDir('flexbridge-views-');
  const logLines: string[] = [];
  const pageProblems: string[] = [];
  let agent: Agent | undefined;
  let fleet: Fleet | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let baseUrl: string;

  beforeAll(async () => {
    const chromiumExecutable = await findChromium();
    const logStream = new PassThrough();
    logStream.on('data', (chunk: Buffer) => logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean)));
    agent = await startAgent(
      parseConfig(
        {
          http: { host: '127.0.0.1', port: 0 },
          store: { path: path.join(dir, 'flexbridge.db') },
          ocpp: { host: '127.0.0.1', port: 0, autoRegisterGroup: GROUP, callTimeoutMs: 5000, heartbeatIntervalS: 60 },
          groups: [{ id: GROUP, safeLimitA: 40, safetyMarginA: 1, leaseS: 120 }],
          api: {
            tokens: [
              { name: 'wall-screen', token: READ_TOKEN, role: 'read' },
              { name: 'ops', token: ADMIN_TOKEN, role: 'admin' },
            ],
          },
        },
        'dashboard views test',
      ),
      { logger: createLogger({ level: 'info', stream: logStream }) },
    );
    baseUrl = `http://127.0.0.1:${agent.httpPort}`;
    fleet = createFleet({
      url: `ws://127.0.0.1:${agent.ocppPort}${agent.config.ocpp.path}`,
      count: 2,
      evsesPerStation: 1,
      securityProfile: 1,
      password: STATION_PASSWORD,
      meterIntervalS: 2,
      evaluateIntervalS: 1,
      tickMs: 100,
      backoff: { minS: 0.2, randomS: 0.3, repeatTimes: 3 },
    });
    fleet.start();
    const stations = fleet;
    await eventually(() => stations.summary().bootAccepted === 2, 30_000, 'both stations booted');
    browser = await chromium.launch({
      executablePath: chromiumExecutable.executablePath,
      ...(chromiumExecutable.env ? { env: chromiumExecutable.env } : {}),
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', ...chromiumExecutable.args],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on('pageerror', (error) => pageProblems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      // The overrides form's refused POST (403 with the read token) is logged by chromium; it is the test's own doing.
      if (message.type() === 'error' && !message.text().includes('403')) pageProblems.push(`console error: ${message.text()}`);
    });
    await page.goto(`${baseUrl}/?token=${READ_TOKEN}`);
    await page.locator(`section[data-group="${GROUP}"]`).waitFor();
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await fleet?.stop();
    await agent?.stop('test over');
    cleanup();
  }, 30_000);

  async function withAgentLog(body: () => Promise<void>): Promise<void> {
    try {
      await body();
    } catch (error) {
      process.stderr.write(`views test failed; page problems: ${JSON.stringify(pageProblems)}\nlast agent log lines:\n`);
      process.stderr.write(`${logLines.slice(-30).join('\n')}\n`);
      throw error;
    }
  }

  async function open(view: string, width: number): Promise<void> {
    await page.setViewportSize({ width, height: 1000 });
    await page.evaluate(`window.location.hash = '#${view}'`);
    await page.locator(`#view-${view}`).waitFor({ state: 'visible' });
  }

  /** Nothing sticks out of the window sideways (wide tables scroll inside their own box). */
  async function pageFitsWidth(): Promise<boolean> {
    return (await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')) === true;
  }

  describe.each(WIDTHS)('at %i px', (width) => {
    const identity = `CP-REFUSED-${width}`;

    test('refused connections: the attempt appears live with its reason, reasons as bars, filter by identity', async () => {
      await withAgentLog(async () => {
        await open('refused', width);
        await page.fill('#view-refused input[aria-label="station identity"]', '');
        await page.press('#view-refused input[aria-label="station identity"]', 'Enter');
        // Made while the view is open: the page hears of it on the event stream, not by reloading.
        expect(await refusedUpgrade(`ws://127.0.0.1:${agent!.ocppPort}/ocpp/${identity}`)).toBe(401);
        const row = page.locator('[data-table="refused"] tbody tr', {
          has: page.locator(`td[data-col="identity"][data-value="${identity}"]`),
        });
        await row.first().waitFor({ timeout: 10_000 });
        expect(await row.first().locator('td[data-col="status"]').textContent()).toBe('401');
        expect(((await row.first().locator('td[data-col="reason"]').textContent()) ?? '').length).toBeGreaterThan(5);
        expect(await row.first().locator('td[data-col="time"]').textContent()).toMatch(/\d\d:\d\d:\d\d \S+$/);
        // The reasons as bars: the most frequent one is full.
        const shares = await page
          .locator('#view-refused .reason-row .bar')
          .evaluateAll((bars) => bars.map((b) => b.getAttribute('data-share')));
        expect(shares[0]).toBe('1.000');
        // Filtering by identity asks the API for that identity only.
        await page.fill('#view-refused input[aria-label="station identity"]', 'NOBODY-AT-ALL');
        await page.press('#view-refused input[aria-label="station identity"]', 'Enter');
        await page.locator('#view-refused .data-table p.empty').waitFor({ state: 'visible' });
        await page.fill('#view-refused input[aria-label="station identity"]', identity);
        await page.press('#view-refused input[aria-label="station identity"]', 'Enter');
        await row.first().waitFor();
        expect(await page.locator('[data-table="refused"] tbody tr').count()).toBe(1);
        expect(await pageFitsWidth()).toBe(true);
      });
    });

    test('overrides: a read token is refused, the admin token sets a cap shown on the group, and it is removed', async () => {
      await withAgentLog(async () => {
        await open('overrides', width);
        const limitA = width === 820 ? 12 : 14;
        await page.selectOption('#view-overrides select[name="kind"]', 'group-cap');
        await page.fill('#view-overrides input[name="target"]', GROUP);
        await page.fill('#view-overrides input[name="value"]', String(limitA));
        await page.fill('#view-overrides input[name="minutes"]', '30');
        await page.fill('#view-overrides input[aria-label="admin token"]', '');
        await page.click('#view-overrides button[type="submit"]');
        const message = page.locator('#view-overrides .form-message');
        await page.locator('#view-overrides .form-message[data-ok="false"]').waitFor();
        expect(await message.textContent()).toContain('admin role');
        expect(await page.locator('[data-table="overrides"] tbody tr').count()).toBe(0);

        await page.fill('#view-overrides input[aria-label="admin token"]', ADMIN_TOKEN);
        await page.click('#view-overrides button[type="submit"]');
        await page.locator('#view-overrides .form-message[data-ok="true"]').waitFor();
        const row = page.locator(`[data-table="overrides"] tr[data-id="group-cap:${GROUP}"]`);
        await row.waitFor();
        expect(await row.locator('td[data-col="value"]').textContent()).toBe(`${limitA} A`);
        expect(await row.locator('td[data-col="expires"]').textContent()).toMatch(/\(in (29|30) min\)$/);
        // 30 min of the next 24 h: a short bar.
        const share = Number(await row.locator('.bar').getAttribute('data-share'));
        expect(share).toBeGreaterThan(0.015);
        expect(share).toBeLessThan(0.025);
        expect(await pageFitsWidth()).toBe(true);

        // The group shows the cap: badge first, the figures, and the chart's cap line only over the next 30 minutes.
        await open('groups', width);
        const section = page.locator(`section[data-group="${GROUP}"]`);
        await until(async () => (await section.getAttribute('data-capped')) === 'true', 10_000, 'group shown capped');
        expect(await section.locator('.source').textContent()).toBe(`operator cap ${limitA} A · safe-default`);
        expect(await section.locator('dd[data-figure="capacity in force"]').textContent()).toBe(`${limitA} / ${limitA} / ${limitA} A`);
        expect(await section.locator('dd[data-figure="grid grants"]').textContent()).toBe('40 / 40 / 40 A');
        const chart = section.locator('.chart');
        await until(async () => Number(await chart.getAttribute('data-operator-cap')) > 0, 10_000, 'cap charted');
        // The cap is a handful of points (blocks up to its expiry), not the whole 24 h plan.
        expect(Number(await chart.getAttribute('data-operator-cap'))).toBeLessThan(6);
        // The safe-default banner quotes the safe limit (what the grid side grants), and names the cap.
        const banner = page.locator(`.banner[data-group="${GROUP}"]`);
        expect(await banner.textContent()).toContain('SAFE DEFAULT limit (40 / 40 / 40 A)');
        expect(await banner.textContent()).toContain(`operator cap of ${limitA} A applies until`);

        await open('overrides', width);
        await row.locator('button.remove').click();
        await row.waitFor({ state: 'detached' });
        expect(await message.textContent()).toContain('removed');
      });
    }, 60_000);

    test('event log: station, refusal and override events with a time strip; filtered by kind; live', async () => {
      await withAgentLog(async () => {
        await open('events', width);
        const rows = page.locator('[data-table="events"] tbody tr');
        await until(async () => (await rows.count()) >= 4, 10_000, 'events listed');
        const kinds = await page.locator('[data-table="events"] td[data-col="kind"]').allTextContents();
        // (A group without any forecast entered its safe default at start: a fallback event may be there too.)
        for (const kind of ['station', 'refused', 'override']) expect(kinds).toContain(kind);
        const texts = (await page.locator('[data-table="events"] td[data-col="text"]').allTextContents()).join('\n');
        expect(texts).toContain(`connection of ${identity}`);
        expect(texts).toMatch(new RegExp(`group ${GROUP} capped at \\d+ A until .*, by ops`));
        expect(texts).toMatch(/override removed: group depot capped at \d+ A, by ops/);
        expect(texts).toMatch(/station SIM-0000[12] online/);
        expect(Number(await page.locator('#view-events .timeline').getAttribute('data-marks'))).toBe(await rows.count());

        await page.selectOption('#view-events select[aria-label="kind of event"]', 'override');
        await until(
          async () => (await page.locator('[data-table="events"] td[data-col="kind"]').allTextContents()).every((k) => k === 'override'),
          10_000,
          'only override events',
        );
        expect(await rows.count()).toBeGreaterThanOrEqual(2);

        // Live: a refusal while the log is open shows up under "all events" without a reload.
        await page.selectOption('#view-events select[aria-label="kind of event"]', '');
        const live = `CP-LIVE-${width}`;
        expect(await refusedUpgrade(`ws://127.0.0.1:${agent!.ocppPort}/ocpp/${live}`)).toBe(401);
        await page.locator('[data-table="events"] td[data-col="subject"]', { hasText: live }).waitFor({ timeout: 10_000 });
        // The text filter narrows the table to a station.
        await page.fill('#view-events input[type="search"]', live);
        await until(async () => (await rows.count()) === 1, 5_000, 'filtered to one event');
        await page.fill('#view-events input[type="search"]', '');
        expect(await pageFitsWidth()).toBe(true);
      });
    });

    test('groups: each figure label sits above its own value; the chart opens on the last 2 h and the next 6 h', async () => {
      await withAgentLog(async () => {
        await open('groups', width);
        const section = page.locator(`section[data-group="${GROUP}"]`);
        const offsets = await section.locator('.figure').evaluateAll((figures) =>
          figures.map((f) => {
            const dt = f.querySelector('dt')?.getBoundingClientRect();
            const dd = f.querySelector('dd')?.getBoundingClientRect();
            return dt && dd ? [Math.round(dd.left - dt.left), dd.top >= dt.bottom - 1] : [Infinity, false];
          }),
        );
        expect(offsets.length).toBeGreaterThanOrEqual(6);
        expect(offsets.every(([dx, below]) => dx === 0 && below === true)).toBe(true);
        const chart = section.locator('.chart');
        await until(async () => (await chart.getAttribute('data-window')) === 'default', 10_000, 'default window');
        const spanH =
          (Date.parse((await chart.getAttribute('data-window-end')) ?? '') -
            Date.parse((await chart.getAttribute('data-window-start')) ?? '')) /
          3_600_000;
        expect(spanH).toBeCloseTo(8, 1);
        const startAgoH = (Date.now() - Date.parse((await chart.getAttribute('data-window-start')) ?? '')) / 3_600_000;
        expect(startAgoH).toBeGreaterThan(1.9);
        expect(startAgoH).toBeLessThan(2.2);
        // The station table sorts on a header click.
        await section.locator('[data-table="stations"] th[data-col="id"] button').click();
        await section.locator('[data-table="stations"] th[data-col="id"] button').click();
        expect(await section.locator('[data-table="stations"] th[data-col="id"]').getAttribute('aria-sort')).toBe('descending');
        expect(await section.locator('[data-table="stations"] tbody tr').first().getAttribute('data-id')).toBe('SIM-00002');
        expect(await pageFitsWidth()).toBe(true);
        expect(pageProblems).toEqual([]);
      });
    });
  });
});

/** Polls an asynchronous check. */
async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
