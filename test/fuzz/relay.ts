// Fuzz target of issue #17 for Local Controller mode: a raw-ws fake CSMS sends fuzzed frames down a station's upstream
// twin (2.0.1 and 1.6). Each case: the agent answers with a valid CALLRESULT/CALLERROR or not at all, a refused call
// leaves the store unchanged, the station is never above flexbridge's share, and valid calls both ways still work.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { startAgent } from '../../src/agent';
import { parseConfig } from '../../src/config/load';
import { silentLogger } from '../../src/observability/log';
import { isFlexbridgeProfileId } from '../../src/ocpp/v201/limit-profiles';
import { startFakeCsms, type FakeCsms, type Json } from './relay-csms';
import { freshId, relayCase, type RelayCase } from './relay-cases';
import { EVSES, obj, PASSWORD, RELAY_STATIONS, RelayStation, STACK_LEVELS, type HeldProfile, type RelayProtocol } from './relay-station';
import { checksum, type Findings, type FuzzRig } from './targets';

export { RELAY_STATIONS, type RelayProtocol };
/** What a refused CSMS call must not touch: the station records, sessions, the outage queue, the fold and boot keys. */
export const RELAY_TABLES = ['stations', 'sessions', 'relay_queue', 'kv'] as const;

/** CALLERROR codes each version defines (OCPP-J 2.0.1 §4.3, OCPP-J 1.6 §4.2.3: its own two spellings). */
const CODES: Readonly<Record<RelayProtocol, ReadonlySet<string>>> = {
  'ocpp2.0.1': new Set([
    'FormatViolation',
    'GenericError',
    'InternalError',
    'MessageTypeNotSupported',
    'NotImplemented',
    'NotSupported',
    'OccurrenceConstraintViolation',
    'PropertyConstraintViolation',
    'ProtocolError',
    'RpcFrameworkError',
    'SecurityError',
    'TypeConstraintViolation',
  ]),
  'ocpp1.6': new Set([
    'NotImplemented',
    'NotSupported',
    'InternalError',
    'ProtocolError',
    'SecurityError',
    'FormationViolation',
    'PropertyConstraintViolation',
    'OccurenceConstraintViolation',
    'TypeConstraintViolation',
    'GenericError',
  ]),
};

// ---- The rig: one agent in Local Controller mode, the fake CSMS, one booted station per version ----

export interface RelayRig extends FuzzRig {
  readonly csms: FakeCsms;
  readonly stations: Map<RelayProtocol, RelayStation>;
  /** A new socket for a station the agent let go (counted as a problem by the fuzzer). */
  reconnect(protocol: RelayProtocol): Promise<RelayStation>;
}

export async function startRelayAgent(): Promise<RelayRig> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flexbridge-fuzz-relay-'));
  const file = path.join(dir, 'agent.db');
  const csms = await startFakeCsms();
  const station = (id: string) => ({ id, groupId: 'g1', password: PASSWORD, evseMaxCurrentA: 32, evseCount: EVSES, phases: 3 });
  const config = parseConfig(
    {
      http: { host: '127.0.0.1', port: 0 },
      store: { path: file },
      ocpp: {
        host: '127.0.0.1',
        port: 0,
        callTimeoutMs: 2000,
        upstream: { url: csms.url, credentials: 'forward', dialRate: 1000, dialTimeoutMs: 5000, callTimeoutMs: 5000 },
      },
      groups: [{ id: 'g1', safeLimitA: 40, maxCapacityA: 400 }],
      stations: [station(RELAY_STATIONS['ocpp2.0.1']), station(RELAY_STATIONS['ocpp1.6'])],
      authThrottle: { freeFailures: 1_000_000_000 },
    },
    'fuzz-relay',
  );
  const agent = await startAgent(config, { logger: silentLogger });
  const stations = new Map<RelayProtocol, RelayStation>();
  const reconnect = async (protocol: RelayProtocol): Promise<RelayStation> => {
    const previous = stations.get(protocol);
    await previous?.client.close({ force: true }).catch(() => undefined);
    const connected = await bootStation(agent.ocppPort, protocol, previous?.profiles);
    stations.set(protocol, connected);
    return connected;
  };
  const rig: RelayRig = {
    agent,
    file,
    csms,
    stations,
    reconnect,
    close: async () => {
      for (const s of stations.values()) await s.client.close({ force: true }).catch(() => undefined);
      await agent.stop('fuzz done');
      await csms.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  for (const protocol of ['ocpp2.0.1', 'ocpp1.6'] as const) await reconnect(protocol);
  return rig;
}

async function until<T>(what: string, check: () => T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`fuzz relay: ${what} not reached in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Connects and boots: the CSMS's Accepted reaches the station once flexbridge's standing limits are in (Pending first). */
async function bootStation(ocppPort: number, protocol: RelayProtocol, profiles?: Map<number, HeldProfile>): Promise<RelayStation> {
  const station = await RelayStation.connect(ocppPort, protocol, profiles);
  const boot = (): Promise<unknown> =>
    station.client.call(
      'BootNotification',
      protocol === 'ocpp1.6'
        ? { chargePointVendor: 'flexbridge', chargePointModel: 'Fuzz 1.6' }
        : { reason: 'PowerUp', chargingStation: { model: 'Fuzz', vendorName: 'flexbridge' } },
    );
  for (let attempt = 0; attempt < 5; attempt++) {
    const answer = obj(await boot());
    if (answer.status === 'Accepted') return station;
    await until('the TriggerMessage(BootNotification) after the standing limits', () => station.triggers.includes('BootNotification'));
    station.triggers.length = 0;
  }
  throw new Error(`fuzz relay: ${RELAY_STATIONS[protocol]} never booted Accepted`);
}

/** flexbridge's share for the station: its standing limit, or the most of a live lease still running. */
function shareA(rig: RelayRig, protocol: RelayProtocol, nowMs: number): number | undefined {
  const limits = rig.agent.csms.registry.get(RELAY_STATIONS[protocol])?.lastLimits;
  if (!limits?.standing) return undefined;
  const live =
    limits.live && limits.live.stationCap.leaseEndMs > nowMs ? Math.max(...limits.live.stationCap.periods.map((p) => p.limitA)) : 0;
  return Math.max(limits.standing.limitA, live);
}

/** What the CSMS got back is OCPP-J for its version: a CALLRESULT with an object, or a CALLERROR with a defined code. */
function answerProblem(frame: Json[], id: string, protocol: RelayProtocol): string | undefined {
  if (frame[1] !== id) return `answer under id ${String(frame[1])}, asked ${id}`;
  if (frame[0] === 3)
    return typeof frame[2] === 'object' && frame[2] !== null && !Array.isArray(frame[2]) ? undefined : 'CALLRESULT payload not an object';
  if (frame[0] !== 4 || frame.length !== 5) return `not a CALLRESULT/CALLERROR: ${JSON.stringify(frame).slice(0, 200)}`;
  if (typeof frame[2] !== 'string' || !CODES[protocol].has(frame[2]))
    return `CALLERROR code ${String(frame[2])} is not an OCPP ${protocol} code`;
  if (typeof frame[3] !== 'string') return 'CALLERROR description not a string';
  return typeof frame[4] === 'object' && frame[4] !== null && !Array.isArray(frame[4]) ? undefined : 'CALLERROR details not an object';
}

const validProfile = (protocol: RelayProtocol, limitA: number): object => {
  const startSchedule = new Date(Date.now() - 60_000).toISOString();
  const period = [{ startPeriod: 0, limit: limitA }];
  // Aimed at flexbridge's live level (3): the guard must shift it below flexbridge's standing level (2).
  return protocol === 'ocpp1.6'
    ? {
        connectorId: 0,
        csChargingProfiles: {
          chargingProfileId: 4242,
          stackLevel: STACK_LEVELS,
          chargingProfilePurpose: 'TxDefaultProfile',
          chargingProfileKind: 'Absolute',
          chargingSchedule: { startSchedule, chargingRateUnit: 'A', chargingSchedulePeriod: period },
        },
      }
    : {
        evseId: 0,
        chargingProfile: {
          id: 4242,
          stackLevel: STACK_LEVELS,
          chargingProfilePurpose: 'TxDefaultProfile',
          chargingProfileKind: 'Absolute',
          chargingSchedule: [{ id: 1, startSchedule, chargingRateUnit: 'A', chargingSchedulePeriod: period }],
        },
      };
};

/** Fuzzed CSMS frames down one station's upstream twin; every case checked, valid calls both ways probed often. */
export async function fuzzRelay(
  rig: RelayRig,
  protocol: RelayProtocol,
  cases: number,
  seed?: number,
  /** Go on after a problem (to count every finding of a long run) instead of stopping at the first. */
  keepGoing = false,
): Promise<Findings> {
  const findings: Findings = { cases: 0, outcomes: {}, problems: [] };
  const count = (outcome: string): void => void (findings.outcomes[outcome] = (findings.outcomes[outcome] ?? 0) + 1);
  const problem = (text: string): void => void findings.problems.push(`${protocol}: ${text}`);
  const identity = RELAY_STATIONS[protocol];
  const crashed = (error: unknown): void => problem(`unhandled rejection: ${String(error)}`);
  process.on('unhandledRejection', crashed);
  let link = await rig.csms.link(identity);
  let station = rig.stations.get(protocol) ?? (await rig.reconnect(protocol));
  let last = 'the start';

  const ensureConnected = async (): Promise<void> => {
    if (station.client.state !== 1) {
      problem(`the agent closed the station socket (${station.closed ?? '?'}) after ${last}`);
      station = await rig.reconnect(protocol);
    }
    if (link.ws.readyState !== link.ws.OPEN) {
      count('upstream-closed');
      link = await rig.csms.link(identity);
    }
  };
  /** A read-only CSMS call through the station's one queue: whatever a case queued (a refold) has run after it. */
  const barrier = async (): Promise<void> => {
    const id = freshId();
    const payload = protocol === 'ocpp1.6' ? { connectorId: 0, duration: 60 } : { evseId: 0, duration: 60 };
    const answer = await link.call(id, JSON.stringify([2, id, 'GetCompositeSchedule', payload]));
    if (!answer) problem('no answer to the barrier GetCompositeSchedule');
  };
  const checkCap = (after: string): void => {
    const nowMs = Date.now();
    const share = shareA(rig, protocol, nowMs);
    const cap = station.capNowA(nowMs);
    if (share === undefined) return problem(`no standing limit known for the station after ${after}`);
    if (!cap) return problem(`the station holds no station cap after ${after}`);
    if (cap.limitA > share + 1e-9)
      problem(`station cap ${cap.limitA} A (profile ${cap.id}) above flexbridge's share ${share} A after ${after}`);
    // The fold (LC digest §7.13): flexbridge's cap, on top, is never above the CSMS's own cap in force.
    const csmsA = station.csmsCapNowA(nowMs);
    if (csmsA !== undefined && cap.limitA > csmsA + 1e-9)
      problem(`station cap ${cap.limitA} A above the CSMS's cap ${csmsA} A after ${after}`);
    for (const held of station.profiles.values())
      if (!isFlexbridgeProfileId(held.id) && held.stackLevel >= STACK_LEVELS - 1)
        problem(`CSMS profile ${held.id} held at flexbridge's stack level ${held.stackLevel} after ${after}`);
    if (station.ownRefused.length > 0)
      problem(`the station refused flexbridge's own profile: ${station.ownRefused.splice(0).join(' | ').slice(0, 600)}`);
  };
  const probe = async (): Promise<void> => {
    await ensureConnected();
    const id = freshId();
    const answer = await link.call(id, JSON.stringify([2, id, 'SetChargingProfile', validProfile(protocol, 80)]));
    if (!answer || answer[0] !== 3 || obj(answer[2]).status !== 'Accepted')
      problem(`a valid SetChargingProfile from the CSMS was not Accepted: ${JSON.stringify(answer)?.slice(0, 200)}`);
    const held = station.profiles.get(4242);
    if (!held || held.stackLevel >= STACK_LEVELS - 1)
      problem(`the valid CSMS profile is not held below flexbridge's levels: ${JSON.stringify(held)}`);
    await barrier();
    checkCap('the valid SetChargingProfile');
    try {
      const beat = obj(await station.client.call('Heartbeat', {}));
      if (typeof beat.currentTime !== 'string') problem('a Heartbeat was answered without currentTime');
    } catch (error) {
      problem(`a valid Heartbeat from the station failed: ${String(error)}`);
    }
    const health = await fetch(`http://127.0.0.1:${rig.agent.httpPort}/healthz`);
    await health.arrayBuffer();
    if (health.status !== 200) problem(`/healthz answered ${health.status}`);
  };

  /** One frame to the agent and, for a CALL, its answer checked; true when the station accepted a profile change. */
  const exchange = async (input: RelayCase): Promise<boolean> => {
    const what = `${input.kind}${input.action ? ` ${input.action}` : ''}: ${String(input.text).slice(0, 300)}`;
    if (input.id === undefined) {
      link.send(input.text, input.binary);
      count(input.kind);
      return false;
    }
    const answer = await link.call(input.id, input.text, input.binary);
    if (!answer) {
      if (link.ws.readyState === link.ws.OPEN) problem(`no answer to ${what}`);
      count(`${input.kind}:closed`);
      return false;
    }
    const wrong = answerProblem(answer, input.id, protocol);
    if (wrong) problem(`${wrong} for ${what}`);
    const outcome = answer[0] === 3 ? `result:${String(obj(answer[2]).status ?? '-')}` : `error:${String(answer[2])}`;
    count(`${input.kind === 'call' ? input.action : input.kind} ${outcome}`);
    return (
      answer[0] === 3 &&
      obj(answer[2]).status === 'Accepted' &&
      (input.action === 'SetChargingProfile' || input.action === 'ClearChargingProfile')
    );
  };

  try {
    await probe();
    await fc.assert(
      fc.asyncProperty(relayCase(protocol), async (input) => {
        findings.cases++;
        await ensureConnected();
        const before = checksum(rig.file, RELAY_TABLES);
        const what = `${input.kind}${input.action ? ` ${input.action}` : ''}: ${String(input.text).slice(0, 300)}`;
        last = what;
        if (input.burst) count('burst');
        const changes = input.burst ? (await Promise.all(input.burst.map(exchange))).some(Boolean) : await exchange(input);
        if (changes) await barrier();
        else if (checksum(rig.file, RELAY_TABLES) !== before) problem(`the store changed on ${what}`);
        checkCap(what);
        if (link.strays.length > 0) problem(`frames the CSMS never asked for: ${link.strays.splice(0).join(' | ')}`);
        if (findings.cases % 25 === 0) await probe();
        return (keepGoing || findings.problems.length === 0) && rig.agent.store.isOpen();
      }),
      { numRuns: cases, ...(seed !== undefined && { seed }), endOnFailure: true },
    );
    await probe();
  } catch (error) {
    if (findings.problems.length === 0) problem(String(error));
  } finally {
    process.off('unhandledRejection', crashed);
  }
  return findings;
}
