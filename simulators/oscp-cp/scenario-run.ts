// Plays a planned scenario in real time: each forecast goes out at its time (at once if that time has passed),
// one after the other, until all are sent or the run is stopped.
import type { DateTime } from 'luxon';
import type { SendResult } from './outbound';
import type { PlannedForecast } from './scenario-plan';

export interface ScenarioOutcome {
  planned: PlannedForecast;
  result: SendResult;
}

export class ScenarioRun {
  readonly outcomes: ScenarioOutcome[] = [];
  /** Resolves once every forecast was sent, or when the run is stopped. */
  readonly done: Promise<void>;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private next = 0;
  private finish: () => void = () => undefined;

  constructor(
    readonly planned: readonly PlannedForecast[],
    private readonly send: (forecast: PlannedForecast) => Promise<SendResult>,
    private readonly now: () => DateTime,
  ) {
    this.done = new Promise<void>((resolve) => {
      this.finish = resolve;
    });
    this.schedule();
  }

  get sent(): number {
    return this.outcomes.length;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.finish();
  }

  private schedule(): void {
    const forecast = this.planned[this.next];
    if (this.stopped) return;
    if (forecast === undefined) return this.finish();
    const waitMs = Math.max(0, forecast.at.toMillis() - this.now().toMillis());
    this.timer = setTimeout(() => void this.fire(forecast), waitMs);
  }

  private async fire(forecast: PlannedForecast): Promise<void> {
    this.timer = undefined;
    const result = await this.send(forecast).catch((error: unknown) => ({
      status: 0,
      requestId: undefined,
      error: error instanceof Error ? error.message : String(error),
    }));
    if (this.stopped) return;
    this.outcomes.push({ planned: forecast, result });
    this.next += 1;
    this.schedule();
  }
}
