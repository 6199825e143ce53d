// The transaction-related messages of a simulated 1.6 station (StartTransaction, MeterValues, StopTransaction):
// delivered one at a time in order, queued while offline, retried on CALLERROR/timeout (1.6 §3.7); the
// transactionId comes from StartTransaction.conf, or is -1 when that never got through (E16 3.18).
import { StartTransactionResponse } from './schemas-v16';

export type TransactionAction = 'StartTransaction' | 'MeterValues' | 'StopTransaction';

/** The CSMS's id of one transaction, filled in by StartTransaction.conf. */
export interface CsmsTransactionRef {
  csmsTransactionId: number | undefined;
}

export type CallOutcome =
  { readonly kind: 'answered'; readonly response: unknown } | { readonly kind: 'failed' } | { readonly kind: 'disconnected' };

export interface TransactionPort {
  /** Connected and booted: transaction messages may go out. */
  canSend(): boolean;
  /** failed: CALLERROR or timeout (counts as an attempt); disconnected: the socket went away (try again after reconnect). */
  call(action: TransactionAction, payload: Record<string, unknown>): Promise<CallOutcome>;
  nowMs(): number;
  /** Ask to be pumped again at `atMs` (the retry back-off). */
  wakeAt(atMs: number): void;
  attempts(): number;
  retryIntervalS(): number;
}

interface Queued {
  readonly action: TransactionAction;
  /** Without transactionId for MeterValues/StopTransaction: it is filled in when sent. */
  readonly payload: Record<string, unknown>;
  readonly transaction: CsmsTransactionRef;
  failures: number;
}

const QUEUE_MAX = 200;

export class TransactionQueueV16 {
  private readonly queue: Queued[] = [];
  private inFlight = false;
  private retryAtMs = -Infinity;
  /** Messages given up on (queue full, or out of attempts). */
  dropped = 0;

  constructor(private readonly port: TransactionPort) {}

  get length(): number {
    return this.queue.length;
  }

  push(action: TransactionAction, payload: Record<string, unknown>, transaction: CsmsTransactionRef): void {
    if (this.queue.length >= QUEUE_MAX) {
      // Never the one in flight: its answer is still awaited.
      const oldest = this.queue.splice(this.inFlight ? 1 : 0, 1)[0];
      if (oldest) this.giveUp(oldest);
    }
    this.queue.push({ action, payload, transaction, failures: 0 });
    this.pump();
  }

  /** Send the head of the queue if nothing is in flight, the station may send and no retry wait is running. */
  pump(): void {
    const head = this.queue[0];
    if (head === undefined || this.inFlight || !this.port.canSend()) return;
    if (this.port.nowMs() < this.retryAtMs) {
      this.port.wakeAt(this.retryAtMs);
      return;
    }
    this.inFlight = true;
    const payload =
      head.action === 'StartTransaction' ? head.payload : { ...head.payload, transactionId: head.transaction.csmsTransactionId ?? -1 };
    void this.port.call(head.action, payload).then((outcome) => {
      this.inFlight = false;
      // Disconnected: the head stays; the station pumps again once it is back and booted.
      if (outcome.kind === 'disconnected') return;
      if (outcome.kind === 'answered') {
        this.queue.shift();
        if (head.action === 'StartTransaction') {
          const parsed = StartTransactionResponse.safeParse(outcome.response);
          head.transaction.csmsTransactionId = parsed.success ? parsed.data.transactionId : -1;
        }
      } else {
        head.failures++;
        if (head.failures >= this.port.attempts()) {
          this.queue.shift();
          this.giveUp(head);
        } else {
          // TransactionMessageRetryInterval × attempt number (1.6 §3.7.1).
          this.retryAtMs = this.port.nowMs() + this.port.retryIntervalS() * head.failures * 1000;
        }
      }
      this.pump();
    });
  }

  private giveUp(message: Queued): void {
    this.dropped++;
    if (message.action === 'StartTransaction' && message.transaction.csmsTransactionId === undefined) {
      message.transaction.csmsTransactionId = -1;
    }
  }
}
