// The live OCPP trace: per station a bounded ring of the last frames on both legs (station ↔ flexbridge and, in Local
// Controller mode, flexbridge ↔ CSMS), kept raw and O(1) per frame; parsed and redacted only when someone reads it.

/** Which connection a frame travelled on. */
export type TraceLeg = 'station' | 'csms';

/** One frame as the API shows it: parsed, secrets redacted. `direction` is from flexbridge's side (in = received). */
export interface TraceEntry {
  readonly at: string;
  readonly leg: TraceLeg;
  readonly direction: 'in' | 'out';
  readonly messageType: 'CALL' | 'CALLRESULT' | 'CALLERROR' | 'unparseable';
  readonly messageId?: string;
  /** The CALL's action; for an answer, the action of the CALL it answers when that is still in the ring. */
  readonly action?: string;
  readonly payload?: unknown;
  readonly errorCode?: string;
  readonly errorDescription?: string;
  /** An unparseable frame's text (cut at 2,000 characters; withheld when it mentions a secret). */
  readonly raw?: string;
}

export interface TraceSettings {
  /** Frames every station keeps while its trace is off (0 = none). */
  readonly defaultFrames: number;
  /** The most a station's trace may be switched to. */
  readonly maxFrames: number;
}

export interface TraceState {
  readonly enabled: boolean;
  readonly capacity: number;
  readonly frames: number;
}

const FLAG_OUT = 1;
const FLAG_CSMS = 2;

/**
 * Fixed-size ring in two parallel arrays: pushing a frame allocates nothing (the text is the socket's string). The
 * time and the flags share one number (ms × 4 + flags, exact far beyond year 9999): two plain arrays per station cost
 * less than typed arrays, each of which carries an ArrayBuffer and a backing store of its own.
 */
class FrameRing {
  private readonly stamps: number[];
  private readonly texts: string[];
  private next = 0;
  size = 0;

  constructor(readonly capacity: number) {
    this.stamps = new Array<number>(capacity).fill(0.5); // a double from the start: the array stays unboxed doubles
    this.texts = new Array<string>(capacity).fill('');
  }

  push(atMs: number, flags: number, text: string): void {
    const i = this.next;
    this.stamps[i] = atMs * 4 + flags;
    this.texts[i] = text;
    this.next = i + 1 === this.capacity ? 0 : i + 1;
    if (this.size < this.capacity) this.size++;
  }

  /** Oldest first. */
  each(visit: (atMs: number, flags: number, text: string) => void): void {
    const start = (this.next - this.size + this.capacity) % this.capacity;
    for (let k = 0; k < this.size; k++) {
      const i = (start + k) % this.capacity;
      const stamp = this.stamps[i] ?? 0;
      visit(Math.floor(stamp / 4), stamp % 4, this.texts[i] ?? '');
    }
  }
}

export type FrameListener = (stationId: string, entry: TraceEntry) => void;

/** Every station's trace settings and the live listeners (the operator API's `station.frame`). */
export class StationTraces {
  private readonly listeners = new Set<FrameListener>();

  constructor(
    readonly settings: TraceSettings,
    readonly nowMs: () => number,
  ) {}

  create(stationId: string): StationTrace {
    return new StationTrace(stationId, this);
  }

  subscribe(listener: FrameListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** @internal a traced station's frame, told to every listener. */
  emit(stationId: string, entry: TraceEntry): void {
    for (const listener of this.listeners) {
      try {
        listener(stationId, entry);
      } catch {
        // A listener reports its own failures; the station's traffic is never affected.
      }
    }
  }

  get live(): boolean {
    return this.listeners.size > 0;
  }
}

/** One station's ring. The ring is allocated on the first frame, so 19,000 stations that never spoke cost nothing. */
export class StationTrace {
  private ring: FrameRing | undefined;
  private on = false;
  private size: number;
  /**
   * While on: the action of each CALL awaiting its answer, per leg, so a live answer names what it answers. Made when
   * the trace is switched on: the fleet's stations are not traced.
   */
  private openCalls: Map<string, string> | undefined;

  constructor(
    private readonly stationId: string,
    private readonly traces: StationTraces,
  ) {
    this.size = traces.settings.defaultFrames;
  }

  /** One frame; `message` is what ocpp-rpc's 'message' event or the upstream link carries (a string). */
  record(leg: TraceLeg, outbound: boolean, message: unknown): void {
    if (this.size === 0) return;
    const text = typeof message === 'string' ? message : String(message);
    const atMs = this.traces.nowMs();
    const flags = (outbound ? FLAG_OUT : 0) | (leg === 'csms' ? FLAG_CSMS : 0);
    (this.ring ??= new FrameRing(this.size)).push(atMs, flags, text);
    if (this.on && this.traces.live) this.traces.emit(this.stationId, this.live(atMs, flags, text));
  }

  get state(): TraceState {
    return { enabled: this.on, capacity: this.size, frames: this.ring?.size ?? 0 };
  }

  /** Switches tracing on (with a ring of `capacity`, default the maximum) or off (back to the fleet's small ring). */
  configure(enabled: boolean, capacity?: number): TraceState {
    const { defaultFrames, maxFrames } = this.traces.settings;
    const size = enabled ? Math.min(capacity ?? maxFrames, maxFrames) : defaultFrames;
    this.on = enabled;
    this.openCalls = enabled ? new Map() : undefined;
    if (size !== this.size) {
      const old = this.ring;
      this.size = size;
      this.ring = undefined;
      if (old && size > 0) {
        const ring = new FrameRing(size);
        let skip = Math.max(0, old.size - size);
        old.each((atMs, flags, text) => (skip-- > 0 ? undefined : ring.push(atMs, flags, text)));
        this.ring = ring;
      }
    }
    return this.state;
  }

  /** The frames kept, oldest first, parsed and redacted; answers carry the action of the CALL still in the ring. */
  entries(): TraceEntry[] {
    const out: TraceEntry[] = [];
    const actions = new Map<string, string>();
    this.ring?.each((atMs, flags, text) => {
      const entry = toEntry(atMs, flags, text);
      const key = `${flags & FLAG_CSMS}:${entry.messageId ?? ''}`;
      if (entry.messageType === 'CALL' && entry.action !== undefined) actions.set(key, entry.action);
      const action = entry.messageType !== 'CALL' ? actions.get(key) : undefined;
      out.push(action === undefined ? entry : { ...entry, action });
    });
    return out;
  }

  private live(atMs: number, flags: number, text: string): TraceEntry {
    const entry = toEntry(atMs, flags, text);
    const key = `${flags & FLAG_CSMS}:${entry.messageId ?? ''}`;
    const openCalls = (this.openCalls ??= new Map());
    if (entry.messageType === 'CALL' && entry.action !== undefined) {
      // Bounded: a station that never answers cannot grow it past the ring it is traced with.
      if (openCalls.size >= this.size) openCalls.clear();
      openCalls.set(key, entry.action);
      return entry;
    }
    const action = openCalls.get(key);
    openCalls.delete(key);
    return action === undefined ? entry : { ...entry, action };
  }
}

// ── parsing and redaction ─────────────────────────────────────────────────────────────────────────────────────────

const REDACTED = '[redacted]';
/** Configuration keys / device-model variables whose value is a credential. */
const SECRET_NAMES = new Set(['BasicAuthPassword', 'AuthorizationKey']);
/** Fields that carry certificates, CSRs or 15118 EXI blobs (which embed certificates and keys). */
const CERTIFICATE_FIELDS = new Set(['certificate', 'certificateChain', 'csr', 'exiRequest', 'exiResponse', 'caCertificate', 'privateKey']);
/** Any other field that names itself a secret (SetNetworkProfile's apnPassword, vpn.password, vpn.key …). */
const SECRET_FIELD = /password|passphrase|secret|privatekey/i;
const MENTIONS_SECRET = /BasicAuthPassword|AuthorizationKey|password|BEGIN [A-Z ]*(CERTIFICATE|KEY)/i;

function toEntry(atMs: number, flags: number, text: string): TraceEntry {
  const base = {
    at: new Date(atMs).toISOString(),
    leg: flags & FLAG_CSMS ? ('csms' as const) : ('station' as const),
    direction: flags & FLAG_OUT ? ('out' as const) : ('in' as const),
  };
  let frame: unknown;
  try {
    frame = JSON.parse(text);
  } catch {
    frame = undefined;
  }
  if (Array.isArray(frame) && typeof frame[1] === 'string') {
    const [type, messageId] = frame;
    if (type === 2 && typeof frame[2] === 'string')
      return { ...base, messageType: 'CALL', messageId, action: frame[2], payload: redact(frame[3]) };
    if (type === 3) return { ...base, messageType: 'CALLRESULT', messageId, payload: redact(frame[2]) };
    if (type === 4)
      return {
        ...base,
        messageType: 'CALLERROR',
        messageId,
        errorCode: String(frame[2]),
        errorDescription: String(frame[3] ?? ''),
        payload: redact(frame[4]),
      };
  }
  return { ...base, messageType: 'unparseable', raw: MENTIONS_SECRET.test(text) ? `${REDACTED} (mentions a secret)` : text.slice(0, 2000) };
}

/** A copy of an OCPP payload with credentials, certificates and keys replaced by "[redacted]". */
export function redact(value: unknown, parentKey = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => redact(v, parentKey));
  if (typeof value !== 'object' || value === null) return value;
  const record = Object.fromEntries(Object.entries(value));
  // 1.6 ChangeConfiguration / GetConfiguration's configurationKey: { key, value }; 2.0.1 Get/SetVariables and
  // NotifyReport: { variable: { name }, attributeValue | variableAttribute[].value }.
  const named = typeof record.key === 'string' ? record.key : nameOf(record.variable);
  const secret = named !== undefined && SECRET_NAMES.has(named);
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(record)) {
    if (secret && (key === 'value' || key === 'attributeValue')) out[key] = REDACTED;
    else if (secret && key === 'variableAttribute') out[key] = redactAttributes(v);
    else if (typeof v === 'string' && (CERTIFICATE_FIELDS.has(key) || SECRET_FIELD.test(key) || (parentKey === 'vpn' && key === 'key')))
      out[key] = REDACTED;
    else out[key] = redact(v, key);
  }
  return out;
}

function nameOf(variable: unknown): string | undefined {
  if (typeof variable !== 'object' || variable === null || !('name' in variable)) return undefined;
  return typeof variable.name === 'string' ? variable.name : undefined;
}

function redactAttributes(attributes: unknown): unknown {
  if (!Array.isArray(attributes)) return attributes;
  return attributes.map((a: unknown) =>
    typeof a === 'object' && a !== null && 'value' in a ? { ...Object.fromEntries(Object.entries(a)), value: REDACTED } : a,
  );
}
