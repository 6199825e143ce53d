// Sends one OSCP request to a peer with axios and says what became of it: delivered, worth retrying, or refused.
// Any 2xx is delivered (digest §10); 4xx is the peer's final word; 5xx, timeouts and network errors may pass.
import axios, { type AxiosInstance } from 'axios';
import { ErrorBody } from './schemas';

export interface OutboundRequest {
  readonly method: 'POST' | 'PUT' | 'DELETE';
  readonly url: string;
  /** Token the peer gave us; sent as `Authorization: Token …`, never logged. */
  readonly token: string;
  readonly requestId: string;
  readonly correlationId?: string;
  readonly body?: unknown;
  readonly timeoutMs: number;
}

export type SendOutcome =
  | { readonly kind: 'delivered'; readonly status: number }
  | { readonly kind: 'retry'; readonly status?: number; readonly error: string }
  | { readonly kind: 'refused'; readonly status: number; readonly error: string };

/** `base_url` + `/` + path, whatever trailing slashes the peer put on its base URL (digest §3). */
export function joinUrl(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}

/** What the peer said about a refusal: `X-Error-Message` (SolarNetwork) or the Error body's message, shortened. */
function peerReason(data: unknown, header: unknown): string {
  if (typeof header === 'string' && header) return header.slice(0, 200);
  if (typeof data !== 'string' || !data) return '';
  try {
    const parsed = ErrorBody.safeParse(JSON.parse(data));
    if (parsed.success && parsed.data.message) return parsed.data.message.slice(0, 200);
  } catch {
    // not JSON: fall through to the raw text
  }
  return data.slice(0, 200);
}

function describeFailure(error: unknown): string {
  if (axios.isAxiosError(error)) return `${error.code ?? 'ERR_NETWORK'}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

export class PeerClient {
  constructor(private readonly http: AxiosInstance = axios.create()) {}

  async send(request: OutboundRequest, signal?: AbortSignal): Promise<SendOutcome> {
    const headers: Record<string, string> = {
      Authorization: `Token ${request.token}`,
      'X-Request-ID': request.requestId,
    };
    if (request.correlationId) headers['X-Correlation-ID'] = request.correlationId;
    if (request.body !== undefined) headers['Content-Type'] = 'application/json';
    try {
      const response = await this.http.request({
        method: request.method,
        url: request.url,
        headers,
        data: request.body === undefined ? undefined : JSON.stringify(request.body),
        timeout: request.timeoutMs,
        signal,
        maxRedirects: 0,
        responseType: 'text',
        transformResponse: (data: unknown) => data,
        validateStatus: () => true,
      });
      const status = response.status;
      if (status >= 200 && status < 300) return { kind: 'delivered', status };
      const reason = peerReason(response.data, response.headers['x-error-message']);
      const error = `HTTP ${status}${reason ? `: ${reason}` : ''}`;
      // 408 and 429 ask to come back later; every other 4xx (and 3xx: we never follow redirects) is final.
      if (status >= 500 || status === 408 || status === 429) return { kind: 'retry', status, error };
      return { kind: 'refused', status, error };
    } catch (error) {
      return { kind: 'retry', error: describeFailure(error) };
    }
  }
}
