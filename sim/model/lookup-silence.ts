// When every lookup instance is silent (down without a word: a blackhole
// lookup outage, a lost site), read from the scenario's fault timeline.
// While they all are, a lookup that leaves a device times out whichever
// instance it picks, so the timers of clients retrying through it have a
// fixed outcome and run ahead of the clock (client.ts, retry-loop.ts).
import type { FaultConfig } from '../scenario/types.ts';

/** Time interval [from, to). */
export interface Window {
  from: number;
  to: number;
}

/**
 * The intervals over which every one of the `lookupCount` instances is
 * down without answering, but for those after whose start a carrier
 * outage begins. None when any lookup outage refuses: a refused lookup
 * fails after a round trip, not at its timeout.
 *
 * A carrier outage later than the silence's start could catch a client
 * whose timers ran ahead: its next lookup would then not leave the device,
 * draw no instance, and a failover after the network's return would read
 * the instance field, which a lookup run ahead leaves as it was
 * (retry-loop.ts, `lookupsSilent`).
 */
export function silentWindows(faults: readonly FaultConfig[], lookupCount: number): Window[] {
  if (lookupCount === 0 || faults.some((fault) => fault.kind === 'lookup-outage' && fault.mode === 'refuse')) return [];
  let common: Window[] | null = null;
  for (let instance = 0; instance < lookupCount; instance++) {
    const own: Window[] = [];
    for (const fault of faults) {
      if (fault.kind !== 'lookup-outage' && fault.kind !== 'site-outage') continue;
      const silenced = fault.kind === 'lookup-outage' ? fault.instances : fault.lookups;
      if (silenced.includes(instance) && fault.duration > 0) own.push({ from: fault.at, to: fault.at + fault.duration });
    }
    common = common === null ? merged(own) : intersection(common, merged(own));
    if (common.length === 0) return [];
  }
  return (common ?? []).filter((window) => !faults.some((fault) => fault.kind === 'carrier-outage' && fault.at >= window.from));
}

/**
 * Overlapping intervals joined. Intervals that only touch stay apart: the
 * end of one and the start of the other are two events at the same instant,
 * and an event between them sees the instance up.
 */
function merged(windows: Window[]): Window[] {
  const sorted = [...windows].sort((a, b) => a.from - b.from);
  const out: Window[] = [];
  for (const window of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && window.from < last.to) last.to = Math.max(last.to, window.to);
    else out.push({ ...window });
  }
  return out;
}

/** Where two lists of disjoint, ordered intervals overlap. */
function intersection(a: Window[], b: Window[]): Window[] {
  const out: Window[] = [];
  for (let i = 0, j = 0; i < a.length && j < b.length; ) {
    const from = Math.max(a[i].from, b[j].from);
    const to = Math.min(a[i].to, b[j].to);
    if (from < to) out.push({ from, to });
    if (a[i].to < b[j].to) i++;
    else j++;
  }
  return out;
}
