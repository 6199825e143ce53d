// One station's run of the scenario: timed steps go out at their offset after the station's BootNotification,
// labelled steps when a test triggers them — all through the station's one CALL queue, so they leave in order.
import type { ScenarioStep, Scenario } from './scenario';
import type { CallOutcome } from './station-link';

export class UnknownTriggerError extends Error {}

interface Indexed {
  step: ScenarioStep;
  index: number;
}

export class ScenarioRun {
  /** Outcomes of every timed step, in order, once the last one is answered, timed out or lost with the socket. */
  readonly done: Promise<CallOutcome[]>;
  private readonly timed: Indexed[];
  private readonly sent: Promise<CallOutcome>[] = [];
  private timer: NodeJS.Timeout | undefined;
  private startedAtMs: number | undefined;
  private next = 0;
  private stopped = false;
  private finish: () => void = () => undefined;

  constructor(
    private readonly scenario: Scenario,
    private readonly send: (step: ScenarioStep, index: number) => Promise<CallOutcome>,
  ) {
    // Stable sort: steps with the same offset keep their order in the file.
    this.timed = scenario.steps
      .map((step, index) => ({ step, index }))
      .filter(({ step }) => step.atMs !== undefined)
      .sort((a, b) => (a.step.atMs ?? 0) - (b.step.atMs ?? 0));
    this.done = new Promise<void>((resolve) => (this.finish = resolve)).then(() => Promise.all(this.sent));
  }

  get started(): boolean {
    return this.startedAtMs !== undefined;
  }

  /** Starts the clock of the timed steps; later boots on the same connection do not restart it. */
  start(): void {
    if (this.startedAtMs !== undefined || this.stopped) return;
    this.startedAtMs = Date.now();
    this.schedule();
  }

  /** Sends every step labelled `label`, in file order, and resolves with their outcomes. */
  trigger(label: string): Promise<CallOutcome[]> {
    const steps = this.scenario.steps.map((step, index) => ({ step, index })).filter(({ step }) => step.on === label);
    if (steps.length === 0) return Promise.reject(new UnknownTriggerError(`the scenario has no step with "on": "${label}"`));
    return Promise.all(steps.map(({ step, index }) => this.send(step, index)));
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.finish();
  }

  private schedule(): void {
    const item = this.timed[this.next];
    if (this.stopped || this.startedAtMs === undefined) return;
    if (item === undefined) return this.finish();
    const waitMs = Math.max(0, this.startedAtMs + (item.step.atMs ?? 0) - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.sent.push(this.send(item.step, item.index));
      this.next += 1;
      this.schedule();
    }, waitMs);
  }
}
