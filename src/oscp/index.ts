// Public face of the OSCP 2.0 Flexibility Provider adapter for the composition root (main.ts / agent.ts).
// Everything else in src/oscp is internal to the adapter.
export { createOscpAdapter, type OscpAdapter, type OscpAdapterOptions, type PeerStatus } from './adapter';
export { OscpEvents, type OscpEventMap, type OscpEventName } from './events';
export { ForecastBook } from './forecast-book';
