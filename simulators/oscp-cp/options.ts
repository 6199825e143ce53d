// Options of the simulated Capacity Provider (one zod schema: defaults, limits and the CLI all come from here).
import { z } from 'zod';
import { MeasurementConfiguration } from './wire';

export const CapacityProviderOptions = z.object({
  /** TCP port; 0 = any free port (tests). */
  port: z.number().int().min(0).max(65535).default(9930),
  host: z.string().min(1).default('127.0.0.1'),
  /** Path under which the CP endpoints are served. */
  basePath: z
    .string()
    .regex(/^\/[^?#]*[^/]$/, 'basePath must start with "/" and not end with "/"')
    .default('/oscp/cp/2.0'),
  /** Base URL announced to the FP in Register; default http://host:port + basePath once listening. */
  publicBaseUrl: z.url({ protocol: /^https?$/ }).optional(),
  /** FP base URL to use when the FP's Register carries none we can call (§3: keep a fallback per peer). */
  fpBaseUrl: z.url({ protocol: /^https?$/ }).optional(),
  /** Tokens the CP has handed out for an FP-initiated registration (§6.1, token A). */
  bootstrapTokens: z.array(z.string().min(1)).default([]),
  /** heartbeat_interval the CP asks the FP for in its Handshake/Ack, s; 0 = none wanted. */
  heartbeatIntervalS: z.number().min(0).default(60),
  measurementConfiguration: z.array(MeasurementConfiguration).default(['CONTINUOUS']),
  /** offline_mode_at of our heartbeats = now + factor × the interval the FP asked for (§6.3: 2…3). */
  heartbeatOfflineFactor: z.number().min(1).default(2),
  /** Send a Handshake on our own once registration completes. */
  autoHandshake: z.boolean().default(true),
  handshakeDelayMs: z.number().int().min(0).default(1000),
  /** Delay after our 204 before a follow-up (Register back, HandshakeAcknowledge, adjust answer), §3. */
  replyDelayMs: z.number().int().min(0).default(500),
  /** Answer 403 to measurements/adjust/compliance until the handshake is done (as ELMO does). */
  requireHandshake: z.boolean().default(true),
  /** Known group ids; empty = any group_id is accepted. */
  groups: z.array(z.string().min(1)).default([]),
  /** 'grant': answer an AdjustGroupCapacityForecast with an UpdateGroupCapacityForecast of the same blocks. */
  adjustAnswer: z.enum(['none', 'grant']).default('none'),
  timeoutMs: z.number().int().positive().default(5000),
  /** Extra tries of follow-up messages after a 5xx or no answer. */
  retries: z.number().int().min(0).default(2),
  retryDelayMs: z.number().int().min(0).default(1000),
  logCapacity: z.number().int().min(10).default(10_000),
});
export type CapacityProviderOptions = z.infer<typeof CapacityProviderOptions>;
export type CapacityProviderOptionsInput = z.input<typeof CapacityProviderOptions>;

export class CapacityProviderConfigError extends Error {}

export function parseOptions(input: CapacityProviderOptionsInput): CapacityProviderOptions {
  const parsed = CapacityProviderOptions.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CapacityProviderConfigError(`CP simulator option ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}
