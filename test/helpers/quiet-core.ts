// Core for one group `g1` (32 A, 1 A margin, 15 min leases) with no forecast, no peer and a plan that gives nothing:
// for tests of what core keeps and restores (energy, saved ledgers), not of how it allocates.
import { CoreEvents } from '../../src/core/events';
import { FlexibilityProvider } from '../../src/core/flexibility-provider';
import type { Store } from '../../src/core/ports';
import type { Scheduler } from '../../src/core/scheduler';
import { silentLogger, type Logger } from '../../src/observability/log';

export function quietCore(
  store: Store,
  time: { scheduler: Scheduler; nowMs: () => number },
  logger: Logger = silentLogger,
): FlexibilityProvider {
  return new FlexibilityProvider({
    groups: [{ id: 'g1', phaseVoltageV: 230, phases: 3, safetyMarginA: 1, safeLimitA: 32, leaseS: 900 }],
    forecasts: { blocks: () => [], requestIdAt: () => undefined, peerOnline: () => false },
    grid: { complianceError: () => undefined, adjustForecast: () => undefined },
    plan: () => ({ limitsA: new Map(), reasons: new Map(), overloadedBlocks: [] }),
    kv: store.kv,
    plans: store.plans,
    scheduler: time.scheduler,
    nowMs: time.nowMs,
    events: new CoreEvents(),
    logger,
  });
}
