// The dashboard router over real HTTP: the page with its security headers, the page's files and uPlot from
// node_modules with their types, and nothing else from the folder.
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { dashboardRouter } from '../../src/api/dashboard';

describe('dashboard router', () => {
  let server: Server;
  let base: string;

  beforeAll(async () => {
    const app = express();
    app.use(dashboardRouter());
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test('GET / is the page, with a CSP that allows only this origin and no referrer (a ?token= must not leak)', async () => {
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(res.headers.get('content-security-policy')).toContain("connect-src 'self'");
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    const html = await res.text();
    for (const src of [
      '/dashboard/vendor/uPlot.iife.min.js',
      '/dashboard/shape.js',
      '/dashboard/rows.js',
      '/dashboard/dom.js',
      '/dashboard/chart.js',
      '/dashboard/views.js',
      '/dashboard/app.js',
      '/dashboard/style.css',
    ]) {
      expect(html).toContain(src);
    }
  });

  test.each([
    ['/dashboard/app.js', /^text\/javascript/],
    ['/dashboard/chart.js', /^text\/javascript/],
    ['/dashboard/dom.js', /^text\/javascript/],
    ['/dashboard/rows.js', /^text\/javascript/],
    ['/dashboard/shape.js', /^text\/javascript/],
    ['/dashboard/views.js', /^text\/javascript/],
    ['/dashboard/style.css', /^text\/css/],
    ['/dashboard/vendor/uPlot.iife.min.js', /^text\/javascript/],
    ['/dashboard/vendor/uPlot.min.css', /^text\/css/],
  ])('%s is served', async (path, type) => {
    const res = await fetch(`${base}${path}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(type);
    expect((await res.text()).length).toBeGreaterThan(100);
  });

  test.each([
    '/dashboard/shape.d.ts',
    '/dashboard/rows.d.ts',
    '/dashboard/index.html',
    '/dashboard/../index.ts',
    '/dashboard/vendor/uPlot.d.ts',
  ])('%s is not served', async (path) => {
    expect((await fetch(`${base}${path}`)).status).toBe(404);
  });
});
