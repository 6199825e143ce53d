// The configured timeouts as Node's own server options, for both listeners (HTTP and OCPP): headers trickled in, a
// request never finished, a TLS handshake never completed — slowloris (issue #17). Node checks them every
// connectionsCheckingInterval, so it is kept a fraction of them. A response may take as long as it likes (the event
// stream is one that never ends).
export function slowlorisOptions(
  headersTimeoutMs: number,
  requestTimeoutMs: number,
): { headersTimeout: number; requestTimeout: number; connectionsCheckingInterval: number; handshakeTimeout: number } {
  return {
    headersTimeout: headersTimeoutMs,
    requestTimeout: Math.max(headersTimeoutMs, requestTimeoutMs),
    connectionsCheckingInterval: Math.min(30_000, Math.max(50, Math.floor(headersTimeoutMs / 4))),
    handshakeTimeout: headersTimeoutMs,
  };
}
