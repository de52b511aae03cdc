// Messages between `stampede load` and its client processes (live/client-worker.ts).
import type { ClientConfig as ScenarioClientConfig } from '../sim/scenario/types.ts';

/** What one client process needs: its share of the clients, where the lookups are, and the scenario's client model. */
export interface ClientConfig extends Omit<ScenarioClientConfig, 'throttle'> {
  worker: number;
  /** Client ids [from, to). */
  from: number;
  to: number;
  /** Lookup base URLs (http://host:port); the path /v1/lookup is appended. */
  lookups: string[];
  service: string;
  mcc: number;
  seed: number;
  /** Failover lookups after a failed one (already capped at lookups − 1). */
  lookupFailover: number;
  /** "No server, retry after T", or null: the backoff timer. */
  retryAfter: number | null;
  sampleInterval: number;
  duration: number;
  /** Scenario time of the first fault, or null. */
  incidentStart: number | null;
  /** Whether sessions send keepalive pings (LoadOptions.pings). */
  pings: boolean;
}

export type ToClients =
  | { type: 'init'; config: ClientConfig }
  | { type: 'warm'; perSecond: number }
  | { type: 'start'; t0: number }
  | { type: 'carrier'; fault: number; down: boolean; fraction: number }
  | { type: 'finish' };

/**
 * Counters kept per sample by each client process (per-interval counts, except `connected`):
 * connects that timed out or were refused (reset, or BUSY/FULL/DRAINING), sessions that broke
 * (reset, or a keepalive unanswered) and sessions ended by churn.
 */
export const COUNTERS = ['connected', 'lookupsSent', 'lookupsAnswered', 'lookupsNoServer', 'lookupsTimedOut', 'lookupsRefused',
  'connectAttempts', 'accepts', 'carrierAttempts', 'connectsTimedOut', 'connectsRefused', 'sessionsLost', 'sessionsChurned'] as const;
export type CounterName = (typeof COUNTERS)[number];

export interface ClientReport {
  /** Per counter, per sample. */
  series: Record<CounterName, number[]>;
  /** One entry per reconnection of a client the incident disconnected: seconds from the incident start, downtime, attempts. */
  reconnectAt: number[];
  downtime: number[];
  attempts: number[];
  /** Clients the incident disconnected that have no session at the end. */
  disconnectedNow: number;
  /** Measured on the wire: connect (TCP + hello) and lookup round trips that succeeded, seconds. */
  connectLatency: number[];
  lookupLatency: number[];
  /** How late this process's timers fired (backoff ends, churn), seconds. */
  timerLateness: number[];
  /** Sessions lost to a keepalive that went unanswered. */
  keepaliveLosses: number;
}

export type FromClients =
  | { type: 'ready' }
  | { type: 'warmed'; connected: number; clients: number }
  | { type: 'progress'; connected: number }
  | { type: 'report'; report: ClientReport }
  | { type: 'failed'; message: string };
