// Every client transition of MODEL.md §3, on tiny fleets stepped through time.
import { describe, expect, it } from 'vitest';
import { parseScenarioText } from '../sim/scenario/load.ts';
import { Simulation } from '../sim/simulation.ts';
import { ClientState } from '../sim/model/metrics.ts';
import { summarizeCounts } from '../sim/model/distribution.ts';

/** A small world: 3 servers, one lookup that sees the fleet directly every millisecond (no managers), 50 ms RTT, no churn. */
function world(extra: string, overrides: string[] = []): Simulation {
  const yaml = `
name: client-test
duration: 1000s
sampleInterval: 1000s
network: { rtt: 50ms }
population: { clients: 1 }
client:
  churn: off
lookup: { instances: 1, infoRefresh: 1ms, algorithm: round-robin }
managers: off
regions:
  - { name: common, servers: 3 }
${extra}`;
  return new Simulation(parseScenarioText(yaml, 'client-test.yaml', overrides).scenario);
}

describe('client transitions', () => {
  it('starts in steady state, connected to its primary and holding an alternative', () => {
    const sim = world('');
    expect(sim.clients.stateOf(0)).toBe(ClientState.connected);
    expect(sim.clients.serverOf(0)).toBe(0);
    expect(sim.clients.alternativeOf(0)).toBe(1);
    expect(sim.servers.sessions[0]).toBe(1);
    expect(sim.metrics.connected).toBe(1);
  });

  it('on a reset by a crashed process, goes to its alternative at once, without a lookup', () => {
    const sim = world('faults: [{ kind: server-crash, at: 10s, servers: [common-0], mode: refuse }]');
    sim.runUntil(10);
    expect(sim.clients.stateOf(0)).toBe(ClientState.connecting);
    expect(sim.metrics.connected).toBe(0);
    sim.runUntil(10.05);
    expect(sim.clients.stateOf(0)).toBe(ClientState.connected);
    expect(sim.clients.serverOf(0)).toBe(1);
    expect(sim.clients.attemptsOf(0)).toBe(1);
    expect(sim.metrics.lookupsSent).toBe(0);
  });

  it('when the alternative refuses 1 + connectRetries times, looks up and connects to what it is given', () => {
    const sim = world('faults: [{ kind: server-crash, at: 10s, servers: [common-0, common-1], mode: refuse }]');
    // Three refusals, one RTT each (10.00, 10.05, 10.10), a lookup at 10.15 (one RTT), a connect at 10.20.
    sim.runUntil(10.125);
    expect(sim.clients.stateOf(0)).toBe(ClientState.connecting);
    expect(sim.clients.attemptsOf(0)).toBe(3);
    sim.runUntil(10.175);
    expect(sim.clients.stateOf(0)).toBe(ClientState.lookingUp);
    sim.runUntil(10.275);
    expect(sim.clients.stateOf(0)).toBe(ClientState.connected);
    expect(sim.clients.serverOf(0)).toBe(2);
    expect(sim.metrics.lookupsSent).toBe(1);
    expect(sim.clients.attemptsOf(0)).toBe(5);
  });

  it('with its network down: three connect timeouts, a lookup timeout, then backoff in [b/2, 3b/2)', () => {
    const sim = world('faults: [{ kind: carrier-outage, at: 1s, duration: 500s }]');
    const states: [number, number][] = [];
    for (const t of [1, 5.99, 6, 11, 15.99, 16, 20.99, 21]) {
      sim.runUntil(t);
      states.push([t, sim.clients.attemptsOf(0)]);
    }
    // Attempts start at 1, 6, 11 (connects, 5 s timeout) and 16 (lookup, 5 s timeout).
    expect(states).toEqual([[1, 1], [5.99, 1], [6, 2], [11, 3], [15.99, 3], [16, 4], [20.99, 4], [21, 4]]);
    expect(sim.clients.stateOf(0)).toBe(ClientState.idleBackoff);
    sim.runUntil(22.5 - 1e-9);
    expect(sim.clients.attemptsOf(0)).toBe(4);
    sim.runUntil(25.5);
    expect(sim.clients.attemptsOf(0)).toBe(5);
    expect(sim.clients.stateOf(0)).toBe(ClientState.lookingUp);
    expect(sim.metrics.carrierAttempts).toBe(5);
  });

  it('after a failed lookup-and-connect cycle, backs off before the next lookup', () => {
    // Lookups hand out servers that refuse (their view is never refreshed), so both fail.
    const sim = world(
      'faults: [{ kind: server-crash, at: 10s, servers: [common-0, common-1, common-2], mode: refuse }]',
      ['lookup.infoRefresh=10000s'],
    );
    sim.runUntil(10.525);
    // 3 refusals on the alternative, a lookup, 3 + 3 refusals on primary and alternative.
    expect(sim.clients.attemptsOf(0)).toBe(10);
    expect(sim.clients.stateOf(0)).toBe(ClientState.idleBackoff);
    sim.runUntil(10.5 + 1.49);
    expect(sim.clients.attemptsOf(0)).toBe(10);
  });

  it('on "no server, retry after T", waits exactly T before looking up again', () => {
    const sim = world('faults: [{ kind: server-crash, at: 10s, servers: [common-0, common-1, common-2], mode: refuse }]');
    sim.runUntil(10.225);
    // 3 refusals on the alternative, then the lookup answers "no server" at 10.2.
    expect(sim.metrics.totalNoServer).toBe(1);
    expect(sim.clients.stateOf(0)).toBe(ClientState.idleBackoff);
    sim.runUntil(70.19);
    expect(sim.metrics.lookupsSent).toBe(1);
    sim.runUntil(70.21);
    expect(sim.metrics.lookupsSent).toBe(2);
    expect(sim.metrics.totalNoServer).toBe(1);
    sim.runUntil(70.26);
    expect(sim.metrics.totalNoServer).toBe(2);
  });

  it('notices a vanished host only after keepalive, though the session is gone at once', () => {
    const sim = world('faults: [{ kind: server-crash, at: 10s, servers: [common-0], mode: blackhole }]');
    sim.runUntil(10);
    expect(sim.metrics.connected).toBe(0);
    sim.runUntil(39.99);
    expect(sim.clients.stateOf(0)).toBe(ClientState.connected);
    expect(sim.clients.attemptsOf(0)).toBe(0);
    sim.runUntil(40.05);
    expect(sim.clients.stateOf(0)).toBe(ClientState.connected);
    expect(sim.clients.serverOf(0)).toBe(1);
    expect(sim.metrics.connected).toBe(1);
  });

  it('a connect to a vanished host times out instead of being refused', () => {
    const sim = world('faults: [{ kind: server-crash, at: 10s, servers: [common-0, common-1], mode: blackhole }]', [
      'client.keepalive=0s',
    ]);
    sim.runUntil(24.9);
    // Attempts at 10, 15 and 20 on the alternative, each failing at its 5 s timeout.
    expect(sim.clients.attemptsOf(0)).toBe(3);
    expect(sim.clients.stateOf(0)).toBe(ClientState.connecting);
    sim.runUntil(25.2);
    expect(sim.clients.stateOf(0)).toBe(ClientState.connected);
    expect(sim.clients.serverOf(0)).toBe(2);
  });

  it('after churn, looks up at once (not the alternative) and resets its backoff', () => {
    const sim = world('', ['client.churn.sessionLifetimeMean=10s', 'duration=2000s']);
    sim.runUntil(1999);
    // ~ 2000 s / (10 s lifetime + 2 RTT) session ends, each followed by exactly one lookup and one connect.
    const attempts = sim.clients.attemptsOf(0);
    expect(attempts % 2).toBe(0);
    expect(attempts / 2).toBeGreaterThan(150);
    expect(attempts / 2).toBeLessThan(250);
    expect(sim.metrics.totalTimedOut).toBe(0);
    expect(sim.metrics.totalNoServer).toBe(0);
  });

  it('tallies attempts per client straight from the records as a summary of the attempts array would', () => {
    const sim = world('faults: [{ kind: carrier-outage, at: 10s, duration: 300s }]', ['population.clients=3000', 'client.churn.sessionLifetimeMean=200s']);
    sim.runUntil(1000);
    const summary = sim.clients.attemptsSummary();
    expect(summary).toEqual(summarizeCounts(sim.clients.attemptsPerClient()));
    expect(summary.histogram.length).toBeGreaterThan(5);
  });

  it('queues no timer past the end of the run, and does not run past it', () => {
    // A 1,000 s run: a session end drawn with a 10^6 s mean lies past the end for all but ~0.1 % of 400 clients.
    const late = world('', ['population.clients=400', 'client.churn.sessionLifetimeMean=1000000s']);
    const soon = world('', ['population.clients=400', 'client.churn.sessionLifetimeMean=100s']);
    expect(late.queue.size).toBeLessThan(soon.queue.size - 350);
    expect(() => late.runUntil(1000.001)).toThrow(/past the scenario's end/);
    late.runUntil(1000);
    expect(late.clients.stateOf(0)).toBe(ClientState.connected);
  });

  it('gets no answer from a blackholed lookup until its timeout, and a fast failure from a refusing one', () => {
    const blackhole = world('faults: [{ kind: lookup-outage, at: 0s, duration: 100s, mode: blackhole }]', ['client.churn.sessionLifetimeMean=1000000s']);
    const refuse = world('faults: [{ kind: lookup-outage, at: 0s, duration: 100s, mode: refuse }]', ['client.churn.sessionLifetimeMean=1000000s']);
    for (const sim of [blackhole, refuse]) {
      // Force a lookup: the client's session ends by a crash of both held servers.
      sim.faults.crashServer(0, false, 0, null, 'test');
      sim.faults.crashServer(1, false, 0, null, 'test');
    }
    blackhole.runUntil(0.15 + 4.99);
    refuse.runUntil(0.15 + 0.05);
    expect(blackhole.clients.stateOf(0)).toBe(ClientState.lookingUp);
    expect(refuse.clients.stateOf(0)).toBe(ClientState.idleBackoff);
    blackhole.runUntil(0.15 + 5);
    expect(blackhole.clients.stateOf(0)).toBe(ClientState.idleBackoff);
    expect(blackhole.metrics.totalTimedOut).toBe(1);
    expect(refuse.metrics.totalTimedOut).toBe(0);
  });
});

describe('session server limits', () => {
  it('refuses beyond maxAcceptsPerSec within one second', () => {
    const sim = world('', [
      'population.clients=10',
      'population.start=disconnected',
      'sessionServer.maxAcceptsPerSec=4/s',
      'regions.0.servers=1',
    ]);
    sim.runUntil(0.5);
    // All ten look up at t = 0 and connect at 0.1 s; only four are accepted in that second,
    // the six others try 1 + 2 times on the primary and again on the alternative (the same server).
    expect(sim.servers.sessions[0]).toBe(4);
    expect(sim.metrics.accepts[0]).toBe(4);
    expect(sim.metrics.connectAttempts[0]).toBe(4 + 6 * 6);
  });

  it('refuses beyond maxSessions', () => {
    const sim = world('', ['population.clients=10', 'population.start=disconnected', 'sessionServer.maxSessions=3', 'regions.0.servers=1']);
    sim.runUntil(100);
    expect(sim.servers.sessions[0]).toBe(3);
    expect(sim.metrics.connected).toBe(3);
  });

  it('crashes after more than overloadAcceptsPerSec attempts for overloadFor seconds', () => {
    const sim = world('', [
      'population.clients=1000',
      'population.start=disconnected',
      'sessionServer.maxSessions=1',
      'sessionServer.overloadAcceptsPerSec=50/s',
      'sessionServer.overloadFor=3s',
      'sessionServer.restartAfterCrash=never',
      'regions.0.servers=1',
      'client.backoff.initial=100ms',
      'client.backoff.max=200ms',
    ]);
    // Every second from t = 0 is over the limit: the crash comes in the third one.
    sim.runUntil(1.99);
    expect(sim.metrics.crashes).toBe(0);
    sim.runUntil(3);
    expect(sim.metrics.crashes).toBe(1);
    expect(sim.servers.isRunning(0)).toBe(false);
    expect(sim.servers.sessions[0]).toBe(0);
  });
});
