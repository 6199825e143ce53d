// Liveness and readiness probes: /healthz says the process answers, /readyz that it can do its job.
// Readiness is a list of named checks (store open, listeners up) so a failing probe says what is wrong.
import { Router } from 'express';

export type ReadinessCheck = () => boolean;

export function healthRouter(checks: Readonly<Record<string, ReadinessCheck>>): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', (_req, res) => {
    const results = Object.fromEntries(Object.entries(checks).map(([name, check]) => [name, safe(check)]));
    const ready = Object.values(results).every(Boolean);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks: results });
  });
  return router;
}

function safe(check: ReadinessCheck): boolean {
  try {
    return check();
  } catch {
    return false;
  }
}
