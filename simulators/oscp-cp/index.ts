// Library entry of the OSCP 2.0 Capacity Provider (DSO) simulator: a CP that registers with a Flexibility
// Provider, handshakes, sends heartbeats and capacity forecasts, and records what the FP sends. Wire only; never imports src/.
import type { DateTime } from 'luxon';
import { CapacityProvider } from './capacity-provider';
import type { CapacityProviderOptionsInput } from './options';

export { CapacityProvider, ForecastInputError, type CapacityProviderState, type ForecastInput, type RawRequest } from './capacity-provider';
export { CapacityProviderOptions, CapacityProviderConfigError, type CapacityProviderOptionsInput } from './options';
export {
  WaitTimeoutError,
  type AcceptedMessage,
  type MessageCount,
  type ReceivedMessage,
  type RejectedMessage,
  type SentMessage,
} from './message-log';
export { NotRegisteredError, type RegistrationPhase } from './registration';
export type { SendResult } from './outbound';
export { Scenario, ScenarioFileError, loadScenario, parseScenario, type ScenarioInput } from './scenario';
export { planScenario, scenarioStart, type PlannedForecast } from './scenario-plan';
export type { ScenarioOutcome, ScenarioRun } from './scenario-run';
export * as oscp from './wire';

/** A CP simulator already listening (port 0 = any free port); `now` replaces the clock used for timestamps. */
export async function startCapacityProvider(options: CapacityProviderOptionsInput = {}, now?: () => DateTime): Promise<CapacityProvider> {
  const cp = new CapacityProvider(options, now);
  try {
    await cp.listen();
  } catch (error) {
    await cp.close();
    throw error;
  }
  return cp;
}
