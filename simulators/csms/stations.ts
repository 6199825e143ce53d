// What the simulator knows of each station identity across its connections: boots and the boot status
// answered, the transaction in progress, connection counts; and the answer context built from it.
import type { AnswerContext } from './answers';
import type { AuthorizationStatus, BootStatus, CsmsSimulatorOptions, OcppVersion } from './options';

export interface StationState {
  readonly identity: string;
  connects: number;
  boots: number;
  /** Status answered to the last BootNotification; undefined before the first. */
  bootStatus: BootStatus | undefined;
  /** Transaction in progress as seen on the wire: 2.0.1 transactionId (string) or 1.6 id we assigned (number). */
  transactionId: string | number | undefined;
}

export class StationBook {
  private readonly states = new Map<string, StationState>();
  private readonly bootAnswers = new Map<string, BootStatus | readonly BootStatus[]>();
  /** Boots since the station's answers were last set: the position in its list of statuses. */
  private readonly answerIndex = new Map<string, number>();
  /** One counter for the whole simulator, so 1.6 transaction ids are unique across stations. */
  private lastTransactionId = 0;

  constructor(private readonly options: CsmsSimulatorOptions) {
    for (const [identity, answers] of Object.entries(options.boot.perStation)) this.bootAnswers.set(identity, answers);
  }

  get(identity: string): StationState {
    let state = this.states.get(identity);
    if (state === undefined) {
      state = { identity, connects: 0, boots: 0, bootStatus: undefined, transactionId: undefined };
      this.states.set(identity, state);
    }
    return state;
  }

  all(): StationState[] {
    return [...this.states.values()];
  }

  /** From now on, BootNotifications of this station get these statuses (a list: one per boot, the last repeats). */
  setBootAnswers(identity: string, answers: BootStatus | readonly BootStatus[]): void {
    this.bootAnswers.set(identity, answers);
    this.answerIndex.set(identity, 0);
  }

  /** `version`: the one negotiated on this connection (the simulator's ocppVersion unless it serves several). */
  context(identity: string, version: OcppVersion = this.options.ocppVersion): AnswerContext {
    const state = this.get(identity);
    const { boot, authorization } = this.options;
    return {
      identity,
      version,
      nowIso: () => new Date().toISOString(),
      nextBoot: () => {
        const answers = this.bootAnswers.get(identity) ?? boot.status;
        const index = this.answerIndex.get(identity) ?? 0;
        const status: BootStatus = typeof answers === 'string' ? answers : (answers[Math.min(index, answers.length - 1)] ?? 'Accepted');
        this.answerIndex.set(identity, index + 1);
        state.boots += 1;
        state.bootStatus = status;
        return { status, intervalS: status === 'Accepted' ? boot.intervalS : boot.retryIntervalS };
      },
      authorize: (idToken): AuthorizationStatus => authorization.idTokens[idToken] ?? authorization.default,
      newTransactionId: () => ++this.lastTransactionId,
      transactionSeen: (transactionId, ended) => {
        if (!ended) state.transactionId = transactionId;
        else if (state.transactionId === transactionId) state.transactionId = undefined;
      },
    };
  }
}
