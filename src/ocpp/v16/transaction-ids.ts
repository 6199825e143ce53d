// OCPP 1.6 transaction ids flexbridge assigns as the CSMS (C16 §6.46): unique positive integers, never reused,
// also across restarts and kill -9. Ids are reserved in blocks, the block's end written before any id of it is
// given out, so a restart skips at most one block and never hands out an id twice. ≤ 2^31 − 1 for 32-bit stations.
import type { KeyValueRepository } from '../../core/ports';

const KEY = 'ocpp16.transactionIds.reservedUpTo';
/** Ids per store write: StartTransactions are rare next to meter values, but a fleet's morning starts are not. */
export const BLOCK = 64;
export const MAX_TRANSACTION_ID = 2 ** 31 - 1;

export class TransactionIds {
  private next: number;
  private reservedUpTo: number;

  constructor(
    private readonly kv: KeyValueRepository,
    /** Ids already in use elsewhere (a 2.0.1 station's own transaction "17"): skipped. */
    private readonly taken: (transactionId: string) => boolean = () => false,
  ) {
    const stored = kv.get(KEY);
    this.reservedUpTo = typeof stored === 'number' && Number.isSafeInteger(stored) && stored > 0 ? stored : 0;
    this.next = this.reservedUpTo + 1;
  }

  /** The next id: never given out before by this store. */
  mint(): number {
    for (;;) {
      if (this.next > this.reservedUpTo) this.reserve();
      const id = this.next++;
      if (!this.taken(String(id))) return id;
    }
  }

  private reserve(): void {
    const upTo = this.reservedUpTo + BLOCK;
    // 2^31 − 1 ids last a fleet of 19,000 stations at 20 sessions a day for over 15 years; then it is an operator's call.
    if (upTo > MAX_TRANSACTION_ID) throw new Error('OCPP 1.6 transaction ids exhausted (2^31 − 1 given out)');
    this.kv.set(KEY, upTo);
    this.reservedUpTo = upTo;
  }
}
