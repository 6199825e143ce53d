// What one load-test run does: how many stations, how fast they talk, how long, how many forecasts.
// One zod schema is the source of truth for the library, the command line and the benchmark.
import { z } from 'zod';

export const LOAD_MESSAGES = ['MeterValues', 'TransactionEvent'] as const;
export type LoadMessage = (typeof LOAD_MESSAGES)[number];

/** OCPP version of one lean station. */
export type StationProtocol = '2.0.1' | '1.6';

export const LoadTestOptions = z.object({
  /** Simulated stations, each with one EVSE and one charging session. */
  stations: z.number().int().min(1).max(60_000).default(1000),
  /** Target of the whole fleet, OCPP messages per second (each station keeps at most one CALL in flight). */
  rate: z.number().min(0).default(14_000),
  /** Length of the message-rate phase, s. */
  durationS: z.number().min(1).default(30),
  /** What the stations send during the rate phase (1.6 stations send MeterValues with their transactionId either way). */
  message: z.enum(LOAD_MESSAGES).default('MeterValues'),
  /** OCPP version of the stations; mixed: odd-numbered (…-00001) 2.0.1, even-numbered 1.6. */
  ocpp: z.enum(['2.0.1', '1.6', 'mixed']).default('2.0.1'),
  /** Worker threads the stations are spread over. */
  workers: z.number().int().min(1).max(64).default(1),
  /**
   * Connection attempts in flight at once. Each makes the agent hash a password (scrypt) on its libuv pool; with 8,
   * the generator, not the agent, limited connects at 19,000 stations (16/s against 31/s with 64).
   */
  connectConcurrency: z.number().int().min(1).max(10_000).default(64),
  /** Give up waiting for the fleet to connect when no station became ready for this long, s. */
  connectStallS: z.number().min(1).default(60),
  /** Forecasts whose delivery to every station is timed (median reported); 0 skips the forecast phase. */
  forecasts: z.number().int().min(0).max(100).default(5),
  /** Longest wait for one forecast to reach every station, s. */
  forecastTimeoutS: z.number().min(1).default(60),
  /**
   * Longest wait, s, for the agent's V8 heap to stop shrinking once the fleet is connected and idle (V8's memory
   * reducer collects the connect storm's garbage a few seconds after allocation slows): what holding the fleet costs.
   * 0 measures only right after the connect.
   */
  memorySettleS: z.number().min(0).max(300).default(60),
  /** Offer permessage-deflate like ws / ocpp-rpc clients do by default (the agent accepts it). */
  deflate: z.boolean().default(true),
  /**
   * Node flags for the agent process only, put on its command line (Node 20 refuses --cpu-prof in NODE_OPTIONS),
   * e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
   */
  agentNodeFlags: z.string().default(''),
  /**
   * What the agent process runs: `built`, the JavaScript `npm run build` writes to dist/ (what `npm start` runs, so
   * what a CPO's figures are), or `source`, src/ through tsx (no build step; tsx keeps function names by wrapping
   * every closure, which costs a few KiB per station, so memory figures from it overstate the agent's).
   */
  agentFrom: z.enum(['built', 'source']).default('built'),
  /** The agent's `ocpp.loneSession`: one SetChargingProfile per station per change (follow-cap) or two (own-limit). */
  loneSession: z.enum(['follow-cap', 'own-limit']).default('follow-cap'),
  /** The agent's `heap.trimWhenIdle`: one to three full collections once a burst is over (off: V8 alone decides). */
  heapTrim: z.boolean().default(true),
  /** The agent's `ocpp.trace.frames` (frames each station keeps for its trace); absent: the agent's default. */
  traceFrames: z.number().int().min(0).max(1000).optional(),
  /**
   * Local Controller mode: the agent relays every station to a CSMS simulator (its own process) as `ocpp.upstream`,
   * and after the forecasts the same number of lean stations connect to that simulator directly and repeat the rate
   * phase, so the round trip through flexbridge can be compared with the direct one in the same run.
   */
  upstream: z.boolean().default(false),
  /** With `upstream`: the agent's `ocpp.upstream.dialRate` (twins opened per second); absent: the agent's default. */
  dialRate: z.number().positive().optional(),
  /**
   * After the forecasts: kill -9 the agent, restart it on the same config and store, and time until every station
   * reconnected, booted and was re-profiled (the stations record what they drew against the cap they held).
   */
  restartStorm: z.boolean().default(false),
  /** Keep the temporary folder (config, SQLite file, agent log) after the run. */
  keep: z.boolean().default(false),
  /** Station identities are <prefix>-00001 … */
  idPrefix: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,16}$/)
    .default('LOAD'),
});
export type LoadTestOptions = z.infer<typeof LoadTestOptions>;
export type LoadTestOptionsInput = z.input<typeof LoadTestOptions>;

export class LoadTestConfigError extends Error {}

export function parseLoadTestOptions(input: LoadTestOptionsInput): LoadTestOptions {
  const parsed = LoadTestOptions.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new LoadTestConfigError(`load test option ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
  }
  if (parsed.data.upstream && parsed.data.ocpp === 'mixed') {
    throw new LoadTestConfigError('--upstream needs one OCPP version: the CSMS simulator speaks either 2.0.1 or 1.6, not both');
  }
  if (parsed.data.dialRate !== undefined && !parsed.data.upstream) {
    throw new LoadTestConfigError('--dial-rate needs --upstream: it is the rate the agent opens connections to the CSMS');
  }
  return parsed.data;
}

/** The version of station `index` (0-based) of a fleet. */
export function stationProtocol(ocpp: LoadTestOptions['ocpp'], index: number): StationProtocol {
  if (ocpp !== 'mixed') return ocpp;
  return index % 2 === 0 ? '2.0.1' : '1.6';
}
