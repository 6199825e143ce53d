// Library entry of the CSMS simulator: the upstream a Local Controller connects to, over plain `ws` — answers
// station messages, sends its own CALLs, records every frame, goes down and comes back. Wire only; never imports src/.
import { CsmsSimulator } from './csms-simulator';
import type { CsmsSimulatorOptionsInput } from './options';

export { CsmsSimulator, NoScenarioError, StationNotConnectedError } from './csms-simulator';
export {
  AuthorizationStatus,
  BootStatus,
  CsmsSimulatorConfigError,
  CsmsSimulatorOptions,
  OcppVersion,
  subprotocolOf,
  type CsmsSimulatorOptionsInput,
} from './options';
export { FrameLog, type FrameDirection, type FrameType, type RecordedFrame } from './frame-log';
export type { CallOrigin, CallOutcome } from './station-link';
export type { StationState } from './stations';
export { LimitProfile, Scenario, ScenarioFileError, ScenarioStep, loadScenario, parseScenario, type ScenarioInput } from './scenario';
export { ScenarioRun, UnknownTriggerError } from './scenario-run';
export { limitProfilePayload, stepPayload, type SendingContext } from './scenario-payloads';
export { basicAuthProblem, decideUpgrade, type UpgradeDecision } from './upgrade';
export { errorCodes, parseFrame, type ParsedFrame, type Payload } from './wire';
export { WaitTimeoutError } from './waiting';

/** A CSMS simulator already listening (port 0 = any free port on host; read `port` / `url` afterwards). */
export async function startCsmsSimulator(options: CsmsSimulatorOptionsInput = {}): Promise<CsmsSimulator> {
  const simulator = new CsmsSimulator(options);
  try {
    await simulator.listen();
  } catch (error) {
    await simulator.stop();
    throw error;
  }
  return simulator;
}
