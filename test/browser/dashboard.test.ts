// The operator dashboard in a real browser (chromium driven by playwright-core) against a real agent started
// in-process, the OSCP Capacity Provider simulator and simulated stations, all on 127.0.0.1 with ports 0.
// Proves: the token flow, the safe-default banner before any forecast, the chart drawn with capacity and allocated
// after a forecast, the station table, and the fallback banner following the grid link (CP heartbeats stop, resume).
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startAgent, type Agent } from '../../src/agent';
import { parseConfig } from '../../src/config/load';
import { createLogger } from '../../src/observability/log';
import { createFleet, type Fleet } from '../../simulators/ocpp-station';
import { startCapacityProvider, type CapacityProvider } from '../../simulators/oscp-cp';
import { eventually, flatDay, stationIds } from '../e2e/harness';
import { findChromium } from '../helpers/browser';
import { tempDir } from '../helpers/processes';

const GROUP = 'g1';
const BOOTSTRAP_TOKEN = 'dashboard-bootstrap-token-0123456789';
const READ_TOKEN = 'dashboard-read-token-0123456789';
const STATION_PASSWORD = 'dashboard-station-pw-01';
const STATIONS = stationIds(3);
/** Colours of the chart series in app.js: the canvas must hold pixels of these, not only the data. */
const CAPACITY_FORECAST_RGB: Rgb = [0x1f, 0x6f, 0xeb];
const CAPACITY_FALLBACK_RGB: Rgb = [0xcf, 0x22, 0x2e];
const ALLOCATED_RGB: Rgb = [0x82, 0x50, 0xdf];
type Rgb = [number, number, number];

describe('dashboard — the operator page in chromium against a running agent', () => {
  const { dir, cleanup } = tempDir('flexbridge-dashboard-');
  const logLines: string[] = [];
  const pageProblems: string[] = [];
  let agent: Agent | undefined;
  let cp: CapacityProvider | undefined;
  let fleet: Fleet | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let baseUrl: string;

  beforeAll(async () => {
    // The system's chromium or the npm-packaged one; a missing browser is a failure here (it throws), never a skip.
    const chromiumExecutable = await findChromium();
    const logStream = new PassThrough();
    logStream.on('data', (chunk: Buffer) => logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean)));
    cp = await startCapacityProvider({ port: 0, replyDelayMs: 20, handshakeDelayMs: 20, heartbeatIntervalS: 1 });
    agent = await startAgent(
      parseConfig(
        {
          http: { host: '127.0.0.1', port: 0 },
          store: { path: path.join(dir, 'flexbridge.db') },
          ocpp: { host: '127.0.0.1', port: 0, autoRegisterGroup: GROUP, callTimeoutMs: 5000, heartbeatIntervalS: 60 },
          oscp: {
            peers: [{ id: 'dso', bootstrapToken: BOOTSTRAP_TOKEN, heartbeatIntervalS: 1, offlineGraceS: 1, measurementIntervalS: 2 }],
          },
          groups: [{ id: GROUP, peerId: 'dso', safeLimitA: 40, safetyMarginA: 1, leaseS: 120 }],
          api: { tokens: [{ name: 'dashboard-test', token: READ_TOKEN, role: 'read' }] },
        },
        'dashboard browser test',
      ),
      { logger: createLogger({ level: 'info', stream: logStream }) },
    );
    baseUrl = `http://127.0.0.1:${agent.httpPort}`;
    await cp.registerWith(`${baseUrl}${agent.config.oscp.basePath}`, BOOTSTRAP_TOKEN);
    await cp.waitForState((s) => s.handshakeDone, 15_000);
    fleet = createFleet({
      url: `ws://127.0.0.1:${agent.ocppPort}${agent.config.ocpp.path}`,
      count: STATIONS.length,
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
    await eventually(() => stations.summary().bootAccepted === STATIONS.length, 30_000, 'all stations booted');
    browser = await chromium.launch({
      executablePath: chromiumExecutable.executablePath,
      ...(chromiumExecutable.env ? { env: chromiumExecutable.env } : {}),
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', ...chromiumExecutable.args],
    });
    // Which browser ran is part of the result: CI runs this file once with each.
    process.stderr.write(
      `dashboard test: chromium ${browser.version()} (${chromiumExecutable.source}: ${chromiumExecutable.executablePath})\n`,
    );
    page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    page.on('pageerror', (error) => pageProblems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') pageProblems.push(`console error: ${message.text()}`);
    });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await fleet?.stop();
    await agent?.stop('test over');
    await cp?.close();
    cleanup();
  }, 30_000);

  /** On failure, show what the agent logged last: the page alone rarely says why. */
  async function withAgentLog(body: () => Promise<void>): Promise<void> {
    try {
      await body();
    } catch (error) {
      process.stderr.write(`dashboard test failed; page problems: ${JSON.stringify(pageProblems)}\nlast agent log lines:\n`);
      process.stderr.write(`${logLines.slice(-40).join('\n')}\n`);
      throw error;
    }
  }

  test('without a token the page asks for one, refuses a wrong one and opens with a pasted one', async () => {
    await withAgentLog(async () => {
      await page.goto(`${baseUrl}/`);
      await page.locator('#login').waitFor({ state: 'visible' });
      await page.fill('#token-input', 'not-the-token-0123456789');
      await page.click('#login button[type="submit"]');
      await page.locator('#token-message', { hasText: 'refused' }).waitFor();
      expect(await page.locator('#login').isVisible()).toBe(true);

      await page.fill('#token-input', READ_TOKEN);
      await page.click('#login button[type="submit"]');
      await page.locator(`section[data-group="${GROUP}"]`).waitFor();
      expect(await page.locator('#login').isVisible()).toBe(false);
      // No forecast yet: the group runs on its configured safe limit, and the page says so.
      await page.locator(`.banner.safe-default[data-group="${GROUP}"]`).waitFor({ state: 'visible', timeout: 10_000 });
      // A page error now would be the refused token's 401 in the console, which is expected; start clean after it.
      pageProblems.length = 0;
    });
  });

  test('after a forecast the chart draws capacity and allocated, and the station table lists every station', async () => {
    await withAgentLog(async () => {
      const grid = cp!;
      expect((await grid.sendForecast({ groupId: GROUP, type: 'FALLBACK_CONSUMPTION', blocks: flatDay(40) })).status).toBe(204);
      expect((await grid.sendForecast({ groupId: GROUP, type: 'CONSUMPTION', blocks: flatDay(100) })).status).toBe(204);
      for (const id of STATIONS.slice(0, 2)) fleet!.plugIn(id, 1, { batteryWh: 80_000, socPercent: 10, phases: 3, maxCurrentA: 32 });

      // A fresh load with ?token=: the token is kept for the tab and taken out of the address bar.
      await page.goto(`${baseUrl}/?token=${READ_TOKEN}`);
      expect(page.url()).toBe(`${baseUrl}/`);
      const section = page.locator(`section[data-group="${GROUP}"]`);
      // The forecast is applied with the next plan; the page hears of it on the event stream.
      await until(async () => (await section.getAttribute('data-source')) === 'forecast', 20_000, 'group shown on its forecast');

      // The chart's data: capacity on the forecast over the horizon, allocated above zero once the EVs charge.
      const chart = section.locator('.chart');
      await until(async () => Number(await chart.getAttribute('data-capacity-forecast')) > 10, 20_000, 'forecast capacity charted');
      await until(async () => Number(await chart.getAttribute('data-allocated')) > 10, 20_000, 'allocation charted');
      await until(async () => (await allocatedNowA(page)) > 0, 30_000, 'allocation above zero shown');
      // ... and drawn: the canvas holds pixels of both series' colours.
      expect(await strokePixels(page, GROUP, CAPACITY_FORECAST_RGB)).toBeGreaterThan(100);
      expect(await strokePixels(page, GROUP, ALLOCATED_RGB)).toBeGreaterThan(100);
      expect(await page.locator('.banner').count()).toBe(0);

      // The station table: every station, online, controllable.
      const rows = section.locator('.stations tbody tr');
      await until(async () => (await rows.count()) === STATIONS.length, 20_000, 'every station listed');
      for (const id of STATIONS) {
        const row = section.locator(`.stations tr[data-id="${id}"]`);
        expect(await row.locator('td[data-col="connection"]').textContent()).toBe('online');
        expect(await row.locator('td[data-col="controllable"]').textContent()).toBe('yes');
      }
      expect(pageProblems).toEqual([]);
    });
  }, 90_000);

  test('the fallback banner appears when the Capacity Provider goes silent and goes when it is back', async () => {
    await withAgentLog(async () => {
      const banner = page.locator(`.banner.fallback[data-group="${GROUP}"]`);
      cp!.stopHeartbeats();
      // Offline after offline_mode_at + grace (a few seconds); the page hears it on the event stream, not by polling.
      await banner.waitFor({ state: 'visible', timeout: 30_000 });
      expect(await banner.textContent()).toContain('FALLBACK');
      expect(await page.locator(`section[data-group="${GROUP}"]`).getAttribute('data-source')).toBe('fallback');
      await until(async () => (await strokePixels(page, GROUP, CAPACITY_FALLBACK_RGB)) > 100, 10_000, 'fallback capacity drawn');

      cp!.resumeHeartbeats();
      await banner.waitFor({ state: 'detached', timeout: 30_000 });
      expect(await page.locator(`section[data-group="${GROUP}"]`).getAttribute('data-source')).toBe('forecast');
      expect(pageProblems).toEqual([]);
    });
  }, 90_000);
});

/** Polls an asynchronous check (the harness's `eventually` takes a synchronous one). */
async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The allocated figure the page shows for the group, summed over phases (0 when unreadable). */
async function allocatedNowA(page: Page): Promise<number> {
  const text = (await page.locator(`section[data-group="${GROUP}"] dd[data-figure="allocated"]`).textContent()) ?? '';
  return (text.match(/[\d.]+/g) ?? []).map(Number).reduce((a, b) => a + b, 0);
}

/** Pixels of the group's chart canvas close to a series' stroke colour: proof the series was drawn, not only computed. */
async function strokePixels(page: Page, groupId: string, [r, g, b]: Rgb): Promise<number> {
  const count = await page.evaluate<unknown>(`(() => {
    const canvas = document.querySelector('section[data-group="${groupId}"] .chart canvas');
    if (!canvas) return 0;
    const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    let n = 0;
    for (let i = 0; i < data.length; i += 4) {
      const near = Math.abs(data[i] - ${r}) + Math.abs(data[i + 1] - ${g}) + Math.abs(data[i + 2] - ${b}) < 60;
      if (near && data[i + 3] > 200) n++;
    }
    return n;
  })()`);
  return typeof count === 'number' ? count : 0;
}
