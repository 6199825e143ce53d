// The CSMS behind the Local Controller in an `--upstream` soak: the CSMS simulator (1.6J and 2.0.1 on one endpoint,
// checking the stations' forwarded passwords), its outages, the station caps it sends, and what it knows afterwards.
import fs from 'node:fs';
import readline from 'node:readline';
import { z } from 'zod';
import { limitProfilePayload, startCsmsSimulator, StationNotConnectedError, type CsmsSimulator } from '../csms';
import { CapacityTimeline } from './timeline';

/** The CSMS's own profile on each station: one id, so a new cap replaces the last one; outside flexbridge's range. */
export const CSMS_PROFILE_ID = 501;

export interface CsmsLimitCounts {
  sent: number;
  accepted: number;
  /** Answered, but not Accepted (Rejected, a CALLERROR). */
  refused: number;
  /** Timed out or the socket went: the soak does not know whether the station has it, and assumes the laxer limit. */
  unknown: number;
  /** The station had no upstream connection at that moment (agent down, CSMS down, station reconnecting). */
  notConnected: number;
  clears: number;
}

/** Per station: transaction ids the CSMS saw start (2.0.1 transactionId, 1.6 the id it assigned) and end. */
export type CsmsTransactions = Map<string, { started: Set<string>; ended: Set<string> }>;

const Frame = z.object({
  identity: z.string(),
  direction: z.enum(['in', 'out']),
  type: z.string(),
  action: z.string().optional(),
  raw: z.string(),
});
const TransactionEvent = z.object({ eventType: z.string(), transactionInfo: z.object({ transactionId: z.string() }) });
const StartTransactionConf = z.object({ transactionId: z.number().int() });
const StopTransactionReq = z.object({ transactionId: z.number().int() });

/** A line cut short (the file is read after a stop) or a malformed frame is skipped, not fatal. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export class SoakCsms {
  readonly limits: CsmsLimitCounts = { sent: 0, accepted: 0, refused: 0, unknown: 0, notConnected: 0, clears: 0 };
  /** The cap the CSMS imposed on each station over time, A per phase (Infinity = none). */
  readonly stationLimits = new Map<string, CapacityTimeline>();
  outages = 0;

  private constructor(
    readonly simulator: CsmsSimulator,
    private readonly recordFile: string,
  ) {}

  /** Listening on a free port of 127.0.0.1; every frame goes to `recordFile` (NDJSON). */
  static async start(settings: {
    identities: readonly string[];
    password: string;
    recordFile: string;
    heartbeatIntervalS: number;
    callTimeoutMs: number;
  }): Promise<SoakCsms> {
    const simulator = await startCsmsSimulator({
      port: 0,
      host: '127.0.0.1',
      path: '/ocpp',
      versions: ['2.0.1', '1.6'],
      passwords: Object.fromEntries(settings.identities.map((id) => [id, settings.password])),
      boot: { intervalS: settings.heartbeatIntervalS, status: 'Accepted' },
      recordFile: settings.recordFile,
      recordCapacity: 1000,
      callTimeoutMs: settings.callTimeoutMs,
    });
    return new SoakCsms(simulator, settings.recordFile);
  }

  get url(): string {
    return this.simulator.url;
  }

  /** Listener closed and every station socket closed (1001); upgrades are refused until `comeBack`. */
  async goDown(): Promise<void> {
    this.outages++;
    await this.simulator.goDown();
  }

  comeBack(): Promise<void> {
    return this.simulator.comeBack();
  }

  private timeline(identity: string): CapacityTimeline {
    let timeline = this.stationLimits.get(identity);
    if (timeline === undefined) {
      timeline = new CapacityTimeline(Infinity, 0);
      this.stationLimits.set(identity, timeline);
    }
    return timeline;
  }

  /**
   * Sends a ChargingStationMaxProfile (1.6 ChargePointMaxProfile) of `limitA`, or clears it (`undefined`), and records
   * the cap in force: a tighter one from the moment it was sent once Accepted, a laxer one (or a clear) from its answer
   * — or from the sending when the outcome is unknown, so that the checker never holds a station to a cap it may lack.
   */
  async sendLimit(identity: string, protocol: '1.6' | '2.0.1', limitA: number | undefined, stackLevel: number): Promise<void> {
    const timeline = this.timeline(identity);
    const sentAtMs = Date.now();
    const before = timeline.at(sentAtMs);
    const payload =
      limitA === undefined
        ? protocol === '1.6'
          ? { id: CSMS_PROFILE_ID }
          : { chargingProfileId: CSMS_PROFILE_ID }
        : limitProfilePayload({ purpose: 'ChargingStationMaxProfile', evseId: 0, limit: limitA, unit: 'A', stackLevel }, CSMS_PROFILE_ID, {
            version: protocol,
            nowIso: new Date(sentAtMs).toISOString().replace(/\.\d{3}Z$/, 'Z'),
            transactionId: undefined,
          });
    this.limits.sent++;
    if (limitA === undefined) this.limits.clears++;
    // Never thrown: these run in the background and are only awaited at the end; any other failure counts as unknown.
    const outcome = await this.simulator
      .call(identity, limitA === undefined ? 'ClearChargingProfile' : 'SetChargingProfile', payload)
      .catch((error: unknown) => (error instanceof StationNotConnectedError ? ('not connected' as const) : ('failed' as const)));
    const capA = limitA ?? Infinity;
    if (outcome === 'not connected') {
      this.limits.notConnected++;
      return;
    }
    if (outcome === 'failed') {
      this.limits.unknown++;
      if (capA > before) timeline.set(sentAtMs, capA);
      return;
    }
    if (outcome.status === 'result') {
      const status = outcome.response['status'];
      // A clear answered Unknown also means the station has no cap of ours.
      if (status === 'Accepted' || (limitA === undefined && status === 'Unknown')) {
        this.limits.accepted++;
        timeline.set(capA < before ? sentAtMs : Date.now(), capA);
      } else this.limits.refused++;
    } else if (outcome.status === 'error') this.limits.refused++;
    else {
      this.limits.unknown++;
      if (capA > before) timeline.set(sentAtMs, capA);
    }
  }

  async stop(): Promise<void> {
    await this.simulator.stop();
  }

  /** Reads the recorded frames (after `stop`): every transaction the CSMS saw start and end, per station. */
  async transactions(): Promise<CsmsTransactions> {
    const found: CsmsTransactions = new Map();
    const of = (identity: string): { started: Set<string>; ended: Set<string> } => {
      let entry = found.get(identity);
      if (entry === undefined) {
        entry = { started: new Set(), ended: new Set() };
        found.set(identity, entry);
      }
      return entry;
    };
    const lines = readline.createInterface({ input: fs.createReadStream(this.recordFile), crlfDelay: Infinity });
    for await (const line of lines) {
      if (!line.includes('Transaction')) continue;
      const frame = Frame.safeParse(parseJson(line));
      if (!frame.success) continue;
      const { identity, direction, type, action, raw } = frame.data;
      const message = parseJson(raw);
      if (!Array.isArray(message)) continue;
      if (direction === 'in' && type === 'CALL' && action === 'TransactionEvent') {
        const event = TransactionEvent.safeParse(message[3]);
        if (!event.success) continue;
        of(identity).started.add(event.data.transactionInfo.transactionId);
        if (event.data.eventType === 'Ended') of(identity).ended.add(event.data.transactionInfo.transactionId);
      } else if (direction === 'out' && type === 'CALLRESULT' && action === 'StartTransaction') {
        const conf = StartTransactionConf.safeParse(message[2]);
        if (conf.success) of(identity).started.add(String(conf.data.transactionId));
      } else if (direction === 'in' && type === 'CALL' && action === 'StopTransaction') {
        const stop = StopTransactionReq.safeParse(message[3]);
        if (stop.success && stop.data.transactionId >= 0) of(identity).ended.add(String(stop.data.transactionId));
      }
    }
    return found;
  }
}
