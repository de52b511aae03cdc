// What every chart needs besides the series: the resolved scenario (read back
// from result.json, so a report needs nothing but the result), the time unit
// of the x axes, and the fault windows to shade.
import { parseScenarioText, serverNames } from '../../sim/scenario/load.ts';
import type { Scenario } from '../../sim/scenario/types.ts';
import type { RunResult } from '../../sim/result.ts';
import { recoveryTargets, type Target } from './targets.ts';
import type { ControlPlaneEvent, GateVerdict } from './types.ts';

export interface TimeScale {
  /** Seconds per axis unit. */
  seconds: number;
  /** Unit as shown in axis titles. */
  unit: 'min' | 's' | 'h' | 'd';
}

export interface FaultWindow {
  kind: string;
  /** Seconds. */
  start: number;
  end: number;
  label: string;
}

export interface ChartContext {
  scenario: Scenario;
  time: TimeScale;
  faults: FaultWindow[];
  events: readonly ControlPlaneEvent[];
  /** Upper bounds the scenario's assertions set on recovery and reconnect times, with their verdicts. */
  targets: Target[];
}

/** The run's scenario, resolved from its canonical form in result.json. */
export function scenarioOf(result: RunResult): Scenario {
  return parseScenarioText(JSON.stringify(result.scenario), 'result.json').scenario;
}

/** Minutes for anything longer than 3 minutes, hours from 6 hours on, days from 3 days on (a leak's week), seconds otherwise. */
export function timeScaleFor(durationSeconds: number): TimeScale {
  if (durationSeconds >= 3 * 86_400) return { seconds: 86_400, unit: 'd' };
  if (durationSeconds >= 6 * 3600) return { seconds: 3600, unit: 'h' };
  if (durationSeconds > 180) return { seconds: 60, unit: 'min' };
  return { seconds: 1, unit: 's' };
}

export function chartContext(result: RunResult, events: readonly ControlPlaneEvent[] = [], verdicts?: readonly GateVerdict[], loaded?: Scenario): ChartContext {
  const scenario = loaded ?? scenarioOf(result);
  return { scenario, time: timeScaleFor(scenario.duration), faults: faultWindows(scenario), events, targets: recoveryTargets(scenario, verdicts) };
}

/** "10 min", "90 s", "1.5 h": durations as the labels say them. */
export function humanDuration(seconds: number): string {
  if (seconds >= 2 * 86_400) return `${trim(seconds / 86_400)} d`;
  if (seconds >= 7200) return `${trim(seconds / 3600)} h`;
  if (seconds >= 120 || (seconds >= 60 && seconds % 60 === 0)) return `${trim(seconds / 60)} min`;
  return `${trim(seconds)} s`;
}

function trim(x: number): string {
  return Number(x.toFixed(1)).toString();
}

/** Each fault as a shaded window [start, end) with a short label; a fault without an end runs to the end of the run. */
export function faultWindows(scenario: Scenario): FaultWindow[] {
  const names = serverNames(scenario);
  return scenario.faults.map((fault): FaultWindow => {
    switch (fault.kind) {
      case 'carrier-outage': {
        const who = fault.region === null ? 'all regions' : fault.region;
        const share = fault.fraction === 1 ? '' : `, ${trim(fault.fraction * 100)} % of clients`;
        return {
          kind: fault.kind,
          start: fault.at,
          end: Math.min(fault.at + fault.duration, scenario.duration),
          label: `carrier outage (${who}${share}) · ${humanDuration(fault.duration)}`,
        };
      }
      case 'lookup-outage': {
        const n = fault.instances.length;
        const which = n === scenario.lookup.instances ? `all ${n} lookups` : `${n} of ${scenario.lookup.instances} lookups`;
        return {
          kind: fault.kind,
          start: fault.at,
          end: Math.min(fault.at + fault.duration, scenario.duration),
          label: `lookup outage (${which}, ${fault.mode}) · ${humanDuration(fault.duration)}`,
        };
      }
      case 'server-crash': {
        const servers = fault.servers.map((i) => names[i] ?? `#${i}`);
        const shown = servers.length <= 3 ? servers.join(', ') : `${servers.length} servers`;
        const end = fault.restartAfter === null ? scenario.duration : Math.min(fault.at + fault.restartAfter, scenario.duration);
        const restart = fault.restartAfter === null ? 'no restart' : `restart after ${humanDuration(fault.restartAfter)}`;
        return { kind: fault.kind, start: fault.at, end, label: `${shown} crash (${fault.mode}) · ${restart}` };
      }
      default: {
        // Kinds this module does not name (deploys, manager crashes, …): shade them by the
        // duration fields they have, or mark the instant when they have none.
        const f = fault as { kind: string; at: number; duration?: number; restartAfter?: number | null; stagger?: number; drain?: number; servers?: number[] };
        let length = f.duration ?? (f.restartAfter === null ? Infinity : (f.restartAfter ?? 0));
        if (f.kind === 'deploy') length = (f.stagger ?? 0) * Math.max(0, (f.servers?.length ?? 1) - 1) + (f.drain ?? 0) + (f.restartAfter ?? 0);
        const shown = length > 0 && Number.isFinite(length) ? ` · ${humanDuration(length)}` : '';
        return { kind: f.kind, start: f.at, end: Math.min(f.at + length, scenario.duration), label: `${f.kind.replace(/-/g, ' ')}${shown}` };
      }
    }
  });
}
