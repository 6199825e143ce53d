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

/** Bytes of a ring's arena per frame it keeps: OCPP frames average ~200 bytes (answers ~60, meter values ~400). */
const ARENA_BYTES_PER_FRAME = 256;
/** A frame above this share of its arena is kept as the string it came as (a big profile, a device-model report). */
const LARGE_FRAME_SHARE = 0.25;
/** A span packs offset and length: offset × 2^20 + length (frames are at most ocpp.admission.maxFrameBytes). */
const SPAN_LENGTH = 2 ** 20;
const NO_SPAN = -1;

/**
 * Fixed-size ring of a station's last frames, their text copied into a byte arena of its own. The frames are not kept
 * as the strings they came as: a station's frame stays in its ring for its last ten exchanges, seconds at fleet rates,
 * long enough for V8 to copy it out of the young generation twice and into the old one, where it dies (at 19,000
 * stations and 14,000 msg/s, megabytes a second of old-generation garbage; the heap in use held idle was 372 against
 * 299 MiB with the arena). In the arena it costs one copy and no collection. Time and flags share one double (ms × 4 +
 * flags) per frame, the arena span another; a frame too large for the arena keeps its string in a third array, made
 * when needed.
 */
class FrameRing {
  private readonly stamps: number[];
  private readonly spans: number[];
  private large: (string | undefined)[] | undefined;
  private readonly arena: Buffer;
  /** Slot the next frame goes to, and where in the arena its bytes go. */
  private next = 0;
  private head = 0;
  size = 0;

  constructor(readonly capacity: number) {
    this.stamps = new Array<number>(capacity).fill(0.5); // a double from the start: the array stays unboxed doubles
    this.spans = new Array<number>(capacity).fill(NO_SPAN);
    this.arena = Buffer.allocUnsafeSlow(capacity * ARENA_BYTES_PER_FRAME);
  }

  push(atMs: number, flags: number, text: string): void {
    if (this.size === this.capacity) this.dropOldest();
    const i = this.next;
    this.stamps[i] = atMs * 4 + flags;
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > this.arena.length * LARGE_FRAME_SHARE || bytes >= SPAN_LENGTH) {
      this.spans[i] = NO_SPAN;
      (this.large ??= new Array<string | undefined>(this.capacity))[i] = text;
    } else {
      if (this.head + bytes > this.arena.length) this.wrap();
      this.evictOverlapping(this.head, this.head + bytes);
      this.arena.write(text, this.head, bytes, 'utf8');
      this.spans[i] = this.head * SPAN_LENGTH + bytes;
      this.head += bytes;
      if (this.large) this.large[i] = undefined;
    }
    this.next = i + 1 === this.capacity ? 0 : i + 1;
    this.size++;
  }

  /** Oldest first. */
  each(visit: (atMs: number, flags: number, text: string) => void): void {
    for (let k = 0; k < this.size; k++) {
      const i = this.slot(k);
      const stamp = this.stamps[i] ?? 0;
      visit(Math.floor(stamp / 4), stamp % 4, this.text(i));
    }
  }

  private text(i: number): string {
    const span = this.spans[i] ?? NO_SPAN;
    if (span === NO_SPAN) return this.large?.[i] ?? '';
    const offset = Math.floor(span / SPAN_LENGTH);
    return this.arena.toString('utf8', offset, offset + (span % SPAN_LENGTH));
  }

  /** The k-th oldest frame's slot. */
  private slot(k: number): number {
    return (this.next - this.size + k + 2 * this.capacity) % this.capacity;
  }

  private dropOldest(): void {
    const i = this.slot(0);
    if (this.large) this.large[i] = undefined;
    this.spans[i] = NO_SPAN;
    this.size--;
  }

  /** Back to the arena's start: the frames still after the write position are the arena's oldest, so they go. */
  private wrap(): void {
    for (let k = this.oldestInArena(); k >= 0 && this.startOf(k) >= this.head; k = this.oldestInArena()) this.dropThrough(k);
    this.head = 0;
  }

  /** The oldest frames whose bytes [from, to) overwrites go, with any older large frame (the ring keeps the newest). */
  private evictOverlapping(from: number, to: number): void {
    for (let k = this.oldestInArena(); k >= 0; k = this.oldestInArena()) {
      const start = this.startOf(k);
      if (start >= to || start + this.lengthOf(k) <= from) return;
      this.dropThrough(k);
    }
  }

  /** Age rank (0 = oldest) of the oldest frame whose bytes are in the arena, or -1. */
  private oldestInArena(): number {
    for (let k = 0; k < this.size; k++) if ((this.spans[this.slot(k)] ?? NO_SPAN) !== NO_SPAN) return k;
    return -1;
  }

  private dropThrough(k: number): void {
    for (let d = 0; d <= k; d++) this.dropOldest();
  }

  /** Where the k-th oldest frame's bytes start in the arena, and how many there are (a frame held in the arena). */
  private startOf(k: number): number {
    return Math.floor((this.spans[this.slot(k)] ?? 0) / SPAN_LENGTH);
  }

  private lengthOf(k: number): number {
    return (this.spans[this.slot(k)] ?? 0) % SPAN_LENGTH;
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
