// What the relay must know of each OCPP version (Local Controller digest §5–§6): which station messages flexbridge
// reads on the way up, which carry an authorisation, which are transaction messages for the outage queue, and — 1.6
// only — that a StartTransaction needs the CSMS's transaction id, so it is never answered locally.
import { z } from 'zod';
import type { InboundAction, InboundContext, StationConnection } from '../inbound-action';
import type { RelayedMessage } from '../../core/ports';
import type { OcppVersion } from '../protocol';
import { openTransaction, TAPPED_ACTIONS_16 } from '../v16/actions';
import { StartTransaction16 } from '../v16/payloads';
import { NO_TRANSACTION } from '../v16/transaction-messages';
import { V201_ACTIONS } from '../v201/dispatch';

export interface RelayDialect {
  /** The action flexbridge reads from a relayed station message (its local answer serves an outage); none for others. */
  tapped(method: string): InboundAction | undefined;
  /** The transaction a relayed message ends, if it ends one (its CSMS TxProfiles go with it). */
  endedTransaction(method: string, params: unknown): string | undefined;
  /** The id token a message asks the CSMS to authorise, to cache the answer for an outage. */
  idToken(method: string, params: unknown): string | undefined;
  /** The authorisation in the CSMS's answer, and the local answer built from a cached one. */
  authorisation(response: unknown): { status: string; expiresAt?: string } | undefined;
  answerWithAuthorisation(method: string, info: { status: string; expiresAt?: string }): object;
  /** Whether a queued message belongs to a transaction (kept on overflow) or may be dropped. */
  kindOf(method: string, params: unknown, station: StationConnection): RelayedMessage['kind'];
  /** What goes into the outage queue (2.0.1 marks TransactionEvents offline, as a station would). */
  queued(method: string, params: unknown): unknown;
  /** Needs the CSMS's answer and cannot be answered here (1.6 StartTransaction: the id is the CSMS's). */
  needsCsms(method: string): boolean;
  /** What flexbridge learns from the CSMS's answer besides the authorisation (1.6: the transaction id). */
  learned(context: InboundContext, station: StationConnection, method: string, params: unknown, response: unknown): void;
}

const WithIdToken = z.object({ idToken: z.object({ idToken: z.string() }).loose() }).loose();
const WithIdTag = z.object({ idTag: z.string() }).loose();
const IdTokenInfo = z.object({ status: z.string(), cacheExpiryDateTime: z.string().optional() }).loose();
const IdTagInfo = z.object({ status: z.string(), expiryDate: z.string().optional() }).loose();
const Ended201 = z.object({ eventType: z.literal('Ended'), transactionInfo: z.object({ transactionId: z.string() }).loose() }).loose();
const Stop16 = z.object({ transactionId: z.number().int() }).loose();
const StartAnswer16 = z.object({ transactionId: z.number().int() }).loose();

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const DIALECT_201: RelayDialect = {
  tapped: (method) => (method === 'BootNotification' || method === 'Authorize' ? undefined : V201_ACTIONS.get(method)),
  endedTransaction: (method, params) => {
    if (method !== 'TransactionEvent') return undefined;
    const ended = Ended201.safeParse(params);
    return ended.success ? ended.data.transactionInfo.transactionId : undefined;
  },
  idToken: (method, params) => {
    // Only these carry an authorisation worth caching: no parsing on the hot path of meter values and status.
    if (method !== 'Authorize' && method !== 'TransactionEvent') return undefined;
    const token = WithIdToken.safeParse(params);
    return token.success ? token.data.idToken.idToken : undefined;
  },
  authorisation: (response) => {
    const info = isObject(response) ? IdTokenInfo.safeParse(response.idTokenInfo) : undefined;
    if (!info?.success) return undefined;
    return { status: info.data.status, ...(info.data.cacheExpiryDateTime !== undefined && { expiresAt: info.data.cacheExpiryDateTime }) };
  },
  answerWithAuthorisation: (_method, info) => ({
    idTokenInfo: { status: info.status, ...(info.expiresAt !== undefined && { cacheExpiryDateTime: info.expiresAt }) },
  }),
  kindOf: (method, params, { runtime }) => {
    if (method === 'TransactionEvent') return 'transaction';
    if (method !== 'MeterValues') return 'other';
    const evseId = isObject(params) ? params.evseId : undefined;
    return typeof evseId === 'number' && runtime.transactionByEvse.has(evseId) ? 'transaction' : 'droppable';
  },
  queued: (method, params) => (method === 'TransactionEvent' && isObject(params) ? { ...params, offline: true } : params),
  needsCsms: () => false,
  learned: () => undefined,
};

const DIALECT_16: RelayDialect = {
  tapped: (method) => TAPPED_ACTIONS_16[method],
  endedTransaction: (method, params) => {
    if (method !== 'StopTransaction') return undefined;
    const stop = Stop16.safeParse(params);
    return stop.success && stop.data.transactionId !== NO_TRANSACTION ? String(stop.data.transactionId) : undefined;
  },
  idToken: (method, params) => {
    if (method !== 'Authorize' && method !== 'StartTransaction' && method !== 'StopTransaction') return undefined;
    const tag = WithIdTag.safeParse(params);
    return tag.success ? tag.data.idTag : undefined;
  },
  authorisation: (response) => {
    const info = isObject(response) ? IdTagInfo.safeParse(response.idTagInfo) : undefined;
    if (!info?.success) return undefined;
    return { status: info.data.status, ...(info.data.expiryDate !== undefined && { expiresAt: info.data.expiryDate }) };
  },
  answerWithAuthorisation: (_method, info) => ({
    idTagInfo: { status: info.status, ...(info.expiresAt !== undefined && { expiryDate: info.expiresAt }) },
  }),
  kindOf: (method, params, { runtime }) => {
    if (method === 'StopTransaction' || method === 'StartTransaction') return 'transaction';
    if (method !== 'MeterValues' || !isObject(params)) return 'other';
    const { transactionId, connectorId } = params;
    if (typeof transactionId === 'number' && transactionId !== NO_TRANSACTION) return 'transaction';
    return typeof connectorId === 'number' && runtime.transactionByEvse.has(connectorId) ? 'transaction' : 'droppable';
  },
  queued: (_method, params) => params,
  needsCsms: (method) => method === 'StartTransaction',
  learned: (context, { runtime }, method, params, response) => {
    if (method !== 'StartTransaction') return;
    const start = StartTransaction16.safeParse(params);
    const answer = StartAnswer16.safeParse(response);
    // The CSMS's id is the transaction's (LC digest §5.1); flexbridge's TxProfiles use it. -1 is profiled never.
    if (start.success && answer.success) openTransaction(context, runtime, start.data, answer.data.transactionId);
  },
};

export function dialectOf(protocol: OcppVersion): RelayDialect {
  return protocol === '1.6' ? DIALECT_16 : DIALECT_201;
}
