// The operator dashboard: one static page, its script and style, and the uPlot chart library from node_modules.
// Serves files only; the page reads everything through the REST API (/api/v1) with the operator's token.
import fs from 'node:fs';
import path from 'node:path';
import { Router, type Response } from 'express';

/** The page's own files; the page loads nothing from elsewhere (the agent often runs without internet). */
const PAGE_FILES: Readonly<Record<string, string>> = {
  '/dashboard/app.js': 'app.js',
  '/dashboard/chart.js': 'chart.js',
  '/dashboard/dom.js': 'dom.js',
  '/dashboard/rows.js': 'rows.js',
  '/dashboard/shape.js': 'shape.js',
  '/dashboard/views.js': 'views.js',
  '/dashboard/station-rows.js': 'station-rows.js',
  '/dashboard/station-page.js': 'station-page.js',
  '/dashboard/style.css': 'style.css',
};

const UPLOT_FILES: Readonly<Record<string, string>> = {
  '/dashboard/vendor/uPlot.iife.min.js': 'uPlot.iife.min.js',
  '/dashboard/vendor/uPlot.min.css': 'uPlot.min.css',
};

/**
 * Only this origin's scripts, styles and API; no inline script. uPlot styles its elements through the CSSOM,
 * which style-src 'self' allows. No referrer, so a `?token=` in the page URL never leaves in a Referer header.
 */
const PAGE_HEADERS = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'Cache-Control': 'no-store',
};

/** Static files: revalidated on every load (cheap ETag check), so an upgraded agent never serves a stale script. */
const ASSET_HEADERS = { 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-cache' };

export function dashboardRouter(): Router {
  const publicDir = findPublicDir();
  const uplotDir = path.dirname(require.resolve('uplot/dist/uPlot.iife.min.js'));
  const router = Router();
  const send = (res: Response, file: string, headers: Record<string, string>): void => res.sendFile(file, { headers });
  if (!publicDir) {
    // A missing page must not stop the agent: say where it was looked for instead.
    router.get('/', (_req, res) => {
      res
        .status(503)
        .type('text/plain')
        .send(`dashboard files not installed (looked in ${PUBLIC_DIR_CANDIDATES.join(', ')})\n`);
    });
    return router;
  }

  router.get('/', (_req, res) => send(res, path.join(publicDir, 'index.html'), PAGE_HEADERS));
  for (const [route, file] of Object.entries(PAGE_FILES)) {
    router.get(route, (_req, res) => send(res, path.join(publicDir, file), ASSET_HEADERS));
  }
  for (const [route, file] of Object.entries(UPLOT_FILES)) {
    router.get(route, (_req, res) => send(res, path.join(uplotDir, file), ASSET_HEADERS));
  }
  return router;
}

/**
 * tsc compiles only the TypeScript: run from source (tests, tsx) the page sits next to this module; run from
 * dist/src/api/dashboard it is found in the source tree the build came from.
 */
const PUBLIC_DIR_CANDIDATES = [path.join(__dirname, 'public'), path.resolve(__dirname, '../../../../src/api/dashboard/public')];

function findPublicDir(): string | undefined {
  return PUBLIC_DIR_CANDIDATES.find((dir) => fs.existsSync(path.join(dir, 'index.html')));
}
