// Public types of the report writer. A report is a pure function of a run's
// result plus these optional inputs (gates, control-plane events, the commit).

import type { Scenario } from '../../sim/scenario/types.ts';

/** One gate of a scenario (`assert:`, issue 7) as judged on a run. */
export interface GateVerdict {
  /** The assertion as written, e.g. `recovery.full <= 20m`. */
  assertion: string;
  /** What the run measured (a number in the assertion's unit, or text). */
  measured: number | string | null;
  limit: number | string | null;
  passed: boolean;
}

/** A control-plane event: a manager suspending a server, a failover, an algorithm fallback. */
export interface ControlPlaneEvent {
  /** Simulated seconds. */
  time: number;
  /** e.g. `suspension`, `failover`, `algorithm-fallback`. */
  kind: string;
  /** What it happened to, e.g. a server or manager name. */
  subject: string;
  detail: string;
}

export interface ReportOptions {
  /** Also write `charts/<chart>.svg`. */
  svg?: boolean;
  /** Also write `charts/<chart>.png` (rendered from the SVG). */
  png?: boolean;
  /** Gate verdicts; the header says "no assertions" when absent. */
  verdicts?: readonly GateVerdict[];
  /** Control-plane events (default: the result's own `events`); the timeline appears only when there are some. */
  events?: readonly ControlPlaneEvent[];
  /** Commit of the stampede tree that produced the run, when known. */
  gitCommit?: string | null;
  /**
   * The scenario the result was run from, when the caller has it loaded (`stampede run`): saves
   * reading it again from `result.scenario` (a YAML parse and validation, a tenth of a small run).
   */
  scenario?: Scenario;
}
