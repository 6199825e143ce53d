// A group of chargers behind one grid constraint (OSCP `group_id`), with its electrical layout.
// Everything the allocator and the OSCP unit conversions need to know about the connection point.

export type GroupId = string;

export interface GroupLayout {
  readonly id: GroupId;
  /** Nominal phase voltage used for every A↔W conversion in this group. */
  readonly phaseVoltageV: number;
  /** 1 for a single-phase connection (only L1 is used), 3 for three-phase. */
  readonly phases: 1 | 3;
  /** Amps per phase kept free below the capacity in force, for latency and meter error. */
  readonly safetyMarginA: number;
  /** Amps per phase used when no forecast and no fallback forecast was ever received. Never unlimited. */
  readonly safeLimitA: number;
}
