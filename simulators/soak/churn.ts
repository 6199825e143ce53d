// Station churn driven by the soak's seeded random numbers: EVs plugged in and unplugged, connections dropped, and
// now and then a second connection under an identity already online. Counts what the stations themselves did.
import WebSocket from 'ws';
import { EV_PRESETS, EvModel, type Fleet } from '../ocpp-station';

export interface ChurnCounts {
  plugIns: number;
  unplugs: number;
  drops: number;
  duplicateConnects: number;
  /** How the agent answered each duplicate-identity connect: "open" or "HTTP <status>" / the socket error. */
  duplicateOutcomes: Map<string, number>;
}

export class StationChurn {
  readonly counts: ChurnCounts = { plugIns: 0, unplugs: 0, drops: 0, duplicateConnects: 0, duplicateOutcomes: new Map() };
  /** Sessions each station started (plug-in on an empty EVSE) and ended (unplug of an occupied one). */
  readonly startedBy = new Map<string, number>();
  readonly endedBy = new Map<string, number>();
  private readonly sockets = new Set<WebSocket>();

  constructor(
    private readonly fleet: Fleet,
    private readonly random: () => number,
    private readonly password: string,
  ) {}

  private pick<T>(items: readonly T[]): T | undefined {
    return items[Math.floor(this.random() * items.length)];
  }

  /** One second of churn: about `plugInsPerS` plug-ins, as many unplugs of charging EVs at equilibrium, rare drops. */
  step(targetOccupied: number, dropsPerS: number): void {
    const ids = [...this.fleet.stations.keys()];
    const occupied = ids.filter((id) => this.fleet.stationOrThrow(id).evseOrThrow(1).ev !== undefined);
    const free = ids.filter((id) => this.fleet.stationOrThrow(id).evseOrThrow(1).ev === undefined);
    const moves = 1 + Math.floor(this.random() * 3);
    for (let i = 0; i < moves; i++) {
      const plug = this.random() < (occupied.length < targetOccupied ? 0.8 : 0.2);
      const id = plug ? this.pick(free) : this.pick(occupied);
      if (id === undefined) continue;
      if (plug) {
        const preset = this.pick(EV_PRESETS) ?? EV_PRESETS[0];
        this.fleet.plugIn(id, 1, EvModel.parse({ ...preset, socPercent: 5 + Math.floor(this.random() * 40) }));
        this.counts.plugIns++;
        this.startedBy.set(id, (this.startedBy.get(id) ?? 0) + 1);
        free.splice(free.indexOf(id), 1);
        occupied.push(id);
      } else {
        this.fleet.unplug(id, 1);
        this.counts.unplugs++;
        this.endedBy.set(id, (this.endedBy.get(id) ?? 0) + 1);
        occupied.splice(occupied.indexOf(id), 1);
        free.push(id);
      }
    }
    if (this.random() < dropsPerS) {
      const id = this.pick(ids);
      const station = id === undefined ? undefined : this.fleet.stationOrThrow(id);
      if (station?.connection === 'open') {
        station.drop();
        this.counts.drops++;
      }
    }
  }

  /** Opens a second socket as a station that is online, holds it `holdMs`, and records how the agent answered. */
  duplicateConnect(ocppUrl: string, holdMs = 2000): void {
    const id = this.pick([...this.fleet.stations.keys()]);
    if (id === undefined) return;
    const protocol = this.fleet.protocolOf(id) === '1.6' ? 'ocpp1.6' : 'ocpp2.0.1';
    const auth = Buffer.from(`${id}:${this.password}`).toString('base64');
    const socket = new WebSocket(`${ocppUrl}/${id}`, [protocol], { headers: { authorization: `Basic ${auth}` } });
    this.sockets.add(socket);
    this.counts.duplicateConnects++;
    const note = (outcome: string): void => {
      this.counts.duplicateOutcomes.set(outcome, (this.counts.duplicateOutcomes.get(outcome) ?? 0) + 1);
    };
    socket.once('open', () => {
      note('open');
      setTimeout(() => socket.close(1000), holdMs).unref();
    });
    socket.once('unexpected-response', (_request, response) => {
      note(`HTTP ${response.statusCode ?? 0}`);
      socket.terminate();
    });
    socket.once('error', (error) => note(`error ${error.message.slice(0, 40)}`));
    socket.once('close', () => this.sockets.delete(socket));
  }

  closeAll(): void {
    for (const socket of this.sockets) socket.terminate();
    this.sockets.clear();
  }
}
