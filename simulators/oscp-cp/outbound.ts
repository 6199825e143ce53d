// Calls from the CP to the FP over HTTP (axios): Authorization Token, X-Request-ID (UUID), optional
// X-Correlation-ID, JSON body; retries 5xx and missing answers with back-off (§3), records every call.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import axios, { type AxiosInstance } from 'axios';
import type { DateTime } from 'luxon';
import type { MessageLog } from './message-log';
import type { HttpMethod, SentKind } from './wire';

export interface OutboundRequest {
  kind: SentKind | 'raw';
  method: HttpMethod;
  /** The FP's base URL (a trailing "/" is trimmed, §3). */
  baseUrl: string;
  path: string;
  /** undefined: no Authorization header (negative tests only). */
  token: string | undefined;
  /** JSON-serialised unless it is a string, which goes out as is (malformed bodies in negative tests). */
  body?: unknown;
  /** Default: a fresh UUID; null: leave the header out. */
  requestId?: string | null;
  correlationId?: string;
  headers?: Record<string, string>;
  /** 1 + retries. */
  tries?: number;
}

export interface SendResult {
  /** HTTP status; 0 when no answer came (refused, timed out, closed). */
  status: number;
  requestId: string | undefined;
  /** Why it was not a 2xx: the peer's X-Error-Message / body text, or the transport error. */
  error?: string;
}

export function joinUrl(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/${path}`;
}

export class OscpClient {
  private readonly http: AxiosInstance;
  private readonly aborter = new AbortController();

  constructor(
    private readonly options: { timeoutMs: number; retryDelayMs: number },
    private readonly log: MessageLog,
    private readonly now: () => DateTime,
  ) {
    this.http = axios.create({
      timeout: options.timeoutMs,
      validateStatus: () => true,
      transformRequest: [(data: unknown) => data],
      transformResponse: [(data: unknown) => data],
      responseType: 'text',
      maxRedirects: 0,
    });
  }

  async send(request: OutboundRequest): Promise<SendResult> {
    const requestId = request.requestId === null ? undefined : (request.requestId ?? randomUUID());
    const url = joinUrl(request.baseUrl, request.path);
    const headers: Record<string, string> = { ...request.headers };
    if (request.token !== undefined) headers['Authorization'] = `Token ${request.token}`;
    if (requestId !== undefined) headers['X-Request-ID'] = requestId;
    if (request.correlationId !== undefined) headers['X-Correlation-ID'] = request.correlationId;
    const data = request.body === undefined ? undefined : typeof request.body === 'string' ? request.body : JSON.stringify(request.body);
    if (data !== undefined) headers['Content-Type'] = 'application/json';
    const sentAt = this.now();
    const tries = Math.max(1, request.tries ?? 1);
    let result: SendResult = { status: 0, requestId, error: 'not sent' };
    let attempts = 0;
    while (attempts < tries && !this.aborter.signal.aborted) {
      attempts += 1;
      result = await this.attempt(request.method, url, headers, data, requestId);
      if (result.status !== 0 && result.status < 500) break;
      if (attempts < tries) {
        try {
          await sleep(this.options.retryDelayMs * attempts, undefined, { signal: this.aborter.signal });
        } catch {
          break;
        }
      }
    }
    this.log.recordSent({
      kind: request.kind,
      method: request.method,
      url,
      requestId,
      correlationId: request.correlationId,
      body: request.body,
      status: result.status,
      error: result.error,
      attempts,
      sentAt,
    });
    return result;
  }

  /** Aborts calls in flight and pending retries. */
  close(): void {
    this.aborter.abort();
  }

  private async attempt(
    method: HttpMethod,
    url: string,
    headers: Record<string, string>,
    data: string | undefined,
    requestId: string | undefined,
  ): Promise<SendResult> {
    try {
      const response = await this.http.request<unknown>({ method, url, headers, data, signal: this.aborter.signal });
      if (response.status >= 200 && response.status < 300) return { status: response.status, requestId };
      const errorHeader: unknown = response.headers['x-error-message'];
      const text = typeof errorHeader === 'string' ? errorHeader : typeof response.data === 'string' ? response.data : '';
      return { status: response.status, requestId, error: text === '' ? `HTTP ${response.status}` : text };
    } catch (error) {
      return { status: 0, requestId, error: error instanceof Error ? error.message : String(error) };
    }
  }
}
