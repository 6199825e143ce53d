// The server-sent event stream of operator events: one text/event-stream response per client, a heartbeat
// comment every 15 s, Last-Event-ID catch-up, and slow clients cut off instead of buffering without bound.
import type { Request, Response } from 'express';
import type { ScheduleScope } from '../core/scheduler';
import { readableNumbers } from '../observability/log';
import type { OperatorEvents } from './operator-events';
import type { ApiEventEnvelope } from './response-schemas';

export interface SseOptions {
  readonly heartbeatMs: number;
  /** A client with more than this many bytes unsent is disconnected (it reconnects and catches up). */
  readonly maxBufferedBytes: number;
}

export class EventStreams {
  private readonly clients = new Set<Response>();
  private served = 0;

  constructor(
    private readonly events: OperatorEvents,
    private readonly options: SseOptions,
    /** Heartbeats are deadlines on the API's share of the agent's scheduler: one key per client. */
    private readonly timers: ScheduleScope,
    private readonly clientsChanged: (count: number) => void = () => undefined,
  ) {}

  /** Serves one client until it goes away or `close` is called. */
  serve(req: Request, res: Response): void {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.write('retry: 3000\n\n');
    const lastId = Number(req.get('last-event-id'));
    if (Number.isInteger(lastId) && lastId > 0) for (const event of this.events.since(lastId)) res.write(frame(event));
    const send = (event: ApiEventEnvelope): void => {
      if (res.writableLength > this.options.maxBufferedBytes) {
        res.end();
        return;
      }
      res.write(frame(event));
    };
    const unsubscribe = this.events.subscribe(send);
    this.served += 1;
    const heartbeatKey = `sse-heartbeat:${this.served}`;
    const heartbeat = (): void => {
      res.write(': heartbeat\n\n');
      this.timers.schedule(heartbeatKey, this.timers.nowMs() + this.options.heartbeatMs, heartbeat);
    };
    this.timers.schedule(heartbeatKey, this.timers.nowMs() + this.options.heartbeatMs, heartbeat);
    this.clients.add(res);
    this.clientsChanged(this.clients.size);
    res.on('close', () => {
      this.timers.cancel(heartbeatKey);
      unsubscribe();
      this.clients.delete(res);
      this.clientsChanged(this.clients.size);
    });
  }

  /**
   * An event without an id to every client (a traced station's frames): not kept for Last-Event-ID catch-up, so a
   * chatty station cannot push the operator events out of the replay buffer. Slow clients are cut as for any event.
   */
  broadcast(event: string, data: unknown): void {
    if (this.clients.size === 0) return;
    // Exactly as the station sent it: no rounding of its numbers.
    const text = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const res of this.clients) {
      if (res.writableLength > this.options.maxBufferedBytes) res.end();
      else res.write(text);
    }
  }

  /** Ends every stream (a graceful stop would otherwise wait for them until its timeout). */
  close(): void {
    for (const res of this.clients) res.end();
  }
}

function frame(event: ApiEventEnvelope): string {
  return `id: ${event.id}\nevent: ${event.event}\ndata: ${JSON.stringify(event.data, readableNumbers)}\n\n`;
}
