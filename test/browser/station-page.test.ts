// The station page (#16 item 6) in a real browser (chromium via playwright-core) against a real agent started
// in-process with a simulated 2.0.1 station, all on 127.0.0.1 with ports 0, at 820 and at 1400 px: opened from the
// group's station table; boot info, protocol, connectors, the limits chart over the lease and the station's own
// composite schedule on demand; its refused connections live; the trace, switched on and streaming live; remote
// actions refused with a read token and answered with an admin one; and no page wider than the window.
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { WebSocket } from 'ws';
import { startAgent, type Agent } from '../../src/agent';
import { parseConfig } from '../../src/config/load';
import { silentLogger } from '../../src/observability/log';
import { createFleet, type Fleet } from '../../simulators/ocpp-station';
import { eventually } from '../e2e/harness';
import { findChromium } from '../helpers/browser';
import { tempDir } from '../helpers/processes';

const GROUP = 'depot';
const STATION = 'SP-00001';
const READ_TOKEN = 'station-page-read-token-0123';
const ADMIN_TOKEN = 'station-page-admin-token-0123';
const STATION_PASSWORD = 'station-page-pw-000001';
const WIDTHS = [820, 1400] as const;

function upgrade(url: string, authorization: string): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, ['ocpp2.0.1'], { headers: { Authorization: authorization } });
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

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('dashboard station page, at 820 and 1400 px', () => {
  const { dir, cleanup } = tempDir('flexbridge-station-page-');
  const pageProblems: string[] = [];
  let agent: Agent | undefined;
  let fleet: Fleet | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let baseUrl: string;

  beforeAll(async () => {
    const chromiumExecutable = await findChromium();
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
              { name: 'field-engineer', token: ADMIN_TOKEN, role: 'admin' },
            ],
          },
        },
        'station page test',
      ),
      { logger: silentLogger },
    );
    baseUrl = `http://127.0.0.1:${agent.httpPort}`;
    fleet = createFleet({
      url: `ws://127.0.0.1:${agent.ocppPort}${agent.config.ocpp.path}`,
      idPrefix: 'SP',
      count: 1,
      evsesPerStation: 2,
      securityProfile: 1,
      password: STATION_PASSWORD,
      meterIntervalS: 2,
      evaluateIntervalS: 1,
      tickMs: 100,
      backoff: { minS: 0.2, randomS: 0.3, repeatTimes: 3 },
    });
    fleet.start();
    const stations = fleet;
    await eventually(() => stations.summary().bootAccepted === 1, 30_000, 'station booted');
    browser = await chromium.launch({
      executablePath: chromiumExecutable.executablePath,
      ...(chromiumExecutable.env ? { env: chromiumExecutable.env } : {}),
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', ...chromiumExecutable.args],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on('pageerror', (error) => pageProblems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      // The refused action (403 with the read token) is logged by chromium; it is the test's own doing.
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

  async function pageFitsWidth(): Promise<boolean> {
    return (await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')) === true;
  }

  describe.each(WIDTHS)('at %i px', (width) => {
    test('opened from the group: boot info, protocol, connectors, limits chart; refusals live; trace on and live; actions by role', async () => {
      await page.setViewportSize({ width, height: 1000 });
      await page.evaluate(`window.location.hash = '#groups'`);
      const link = page.locator(`section[data-group="${GROUP}"] a.station-link`, { hasText: STATION });
      await link.waitFor();
      await link.click();
      const view = page.locator('#view-station');
      await view.waitFor({ state: 'visible' });
      expect(await view.locator('h2').textContent()).toBe(`Station ${STATION}`);
      await until(async () => (await view.locator('dd[data-figure="protocol"]').textContent()) === 'OCPP 2.0.1', 10_000, 'facts');
      expect(await view.locator('dd[data-figure="connection"]').textContent()).toBe('online');
      expect(((await view.locator('dd[data-figure="vendor"]').textContent()) ?? '–').length).toBeGreaterThan(1);
      expect(await view.locator('dd[data-figure="firmware"]').textContent()).not.toBe('');
      await until(async () => (await view.locator('[data-table="connectors"] tbody tr').count()) >= 1, 10_000, 'connectors');
      // The chart over the lease: the standing limit is drawn; the station's own schedule only once asked.
      const chart = view.locator('.station-chart');
      await until(async () => Number(await chart.getAttribute('data-standing')) > 0, 10_000, 'standing limit charted');
      expect(await chart.getAttribute('data-reported')).toBe('0');

      // Refused connections of this identity appear live (station.refused on the event stream).
      const refusedBefore = await view.locator('[data-table="station-refused"] tbody tr').count();
      const wrong = `Basic ${Buffer.from(`${STATION}:not-the-password-${width}`).toString('base64')}`;
      expect(await upgrade(`ws://127.0.0.1:${agent!.ocppPort}/ocpp/${STATION}`, wrong)).toBe(401);
      await until(
        async () => (await view.locator('[data-table="station-refused"] tbody tr').count()) > refusedBefore,
        10_000,
        'refusal shown',
      );
      expect(await view.locator('[data-table="station-refused"] tbody tr').first().locator('td[data-col="status"]').textContent()).toBe(
        '401',
      );

      // The small ring is there from the start.
      await until(async () => (await view.locator('[data-table="trace"] tbody tr').count()) > 0, 10_000, 'trace rows');
      expect(await view.locator('.trace-state').textContent()).toMatch(/not traced: the last 20 frames/);

      // A read token may look but not act.
      await view.locator('input[aria-label="admin token"]').fill('');
      await view.locator('select[aria-label="remote action"]').selectOption('TriggerMessage');
      await view.locator('.action-form button[type="submit"]').click();
      await view.locator('.form-message[data-ok="false"]').waitFor();
      expect(await view.locator('.form-message').textContent()).toContain('admin role');

      // The admin token: trace live, then an action whose frames arrive on the stream.
      await view.locator('input[aria-label="admin token"]').fill(ADMIN_TOKEN);
      await view.locator('button.trace-toggle').click();
      await until(async () => (await view.locator('.trace-state').getAttribute('data-enabled')) === 'true', 10_000, 'traced');
      const traced = async (): Promise<number> =>
        view.locator('[data-table="trace"] tbody tr', { has: page.locator('td[data-col="action"][data-value="TriggerMessage"]') }).count();
      const before = await traced();
      await view.locator('select[aria-label="remote action"]').selectOption('TriggerMessage');
      await view.locator('.action-form button[type="submit"]').click();
      // Not the message's data-ok: switching the trace on above already set it.
      await until(async () => ((await view.locator('.action-answer').textContent()) ?? '').includes('status'), 10_000, 'the answer shown');
      expect(await view.locator('.form-message').textContent()).toContain('TriggerMessage: answered');
      await until(async () => (await traced()) >= before + 2, 10_000, 'TriggerMessage CALL and answer shown live');

      // The station's own composite schedule, on demand.
      await view.locator('button.ask-composite').click();
      await until(async () => Number(await chart.getAttribute('data-reported')) > 0, 10_000, 'station schedule charted');

      expect(await pageFitsWidth()).toBe(true);
      await view.locator('button.trace-toggle').click();
      await until(async () => (await view.locator('.trace-state').getAttribute('data-enabled')) === 'false', 10_000, 'trace off');
      expect(pageProblems).toEqual([]);
    }, 60_000);
  });
});
