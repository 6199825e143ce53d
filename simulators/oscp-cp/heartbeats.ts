// Our heartbeats to the FP (§6.3): every `heartbeat_interval` seconds the FP asked for, each announcing
// offline_mode_at = now + factor × interval. Can be held on command so the FP sees us go offline (§6.4).
export class HeartbeatSender {
  private intervalS: number | undefined;
  private held = false;
  private timer: NodeJS.Timeout | undefined;
  private sending = false;

  constructor(private readonly beat: (intervalS: number) => Promise<void>) {}

  /** The interval the FP asked for; undefined stops sending (the FP wants no heartbeats). */
  configure(intervalS: number | undefined): void {
    this.intervalS = intervalS;
    this.restart();
  }

  /** Stop sending until resume(); the FP's offline_mode_at then passes and it should fall back. */
  hold(): void {
    this.held = true;
    this.cancel();
  }

  /** Send one heartbeat now, then keep the interval. */
  resume(): void {
    this.held = false;
    this.restart();
  }

  get running(): boolean {
    return this.intervalS !== undefined && !this.held;
  }

  get isHeld(): boolean {
    return this.held;
  }

  get interval(): number | undefined {
    return this.intervalS;
  }

  cancel(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** First heartbeat at once, then every interval from the start of the previous one. */
  private restart(): void {
    this.cancel();
    const intervalS = this.intervalS;
    if (intervalS === undefined || this.held) return;
    this.timer = setTimeout(() => this.tick(intervalS), 0);
  }

  private tick(intervalS: number): void {
    this.timer = setTimeout(() => this.tick(intervalS), intervalS * 1000);
    // A slow FP must not pile up overlapping heartbeats.
    if (this.sending) return;
    this.sending = true;
    this.beat(intervalS)
      .catch(() => undefined)
      .finally(() => {
        this.sending = false;
      });
  }
}
