// Library entry of the load-test driver: runs the agent as a child process against a CP simulator and a lean
// OCPP station fleet in worker threads, and measures stations held, messages per second and forecast delivery.
export { runLoadTest, stationIdentities, type LoadTestResult, type MemoryFigures, type UpstreamFigures } from './run';
export { LoadTestOptions, LoadTestConfigError, LOAD_MESSAGES, type LoadMessage, type LoadTestOptionsInput } from './options';
export { summaryTable, notes } from './report';
export type { Progress, LoadOutcome, ConnectOutcome } from './phases';
export type { ForecastRun } from './forecasts';
