// Every client transition of docs/model.md §3, on tiny fleets stepped through time.
import { describe, expect, it } from 'vitest';
import { parseScenarioText } from '../sim/scenario/load.ts';
import { Simulation } from './support/model.ts';
import { ClientState } from '../sim/model/metrics.ts';
import { ConnectOutcome, ServerState } from '../sim/model/session-server.ts';
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

  it('on "no server", arms its jittered backoff timer before looking up again', () => {
    const sim = world('faults: [{ kind: server-crash, at: 10s, servers: [common-0, common-1, common-2], mode: refuse }]');
    sim.runUntil(10.225);
    // 3 refusals on the alternative, then the lookup answers "no server" at 10.2: first backoff, b = 3 s.
    expect(sim.metrics.totalNoServer).toBe(1);
    expect(sim.clients.stateOf(0)).toBe(ClientState.idleBackoff);
    sim.runUntil(10.2 + 1.5 - 1e-6);
    expect(sim.metrics.lookupsSent).toBe(1);
    sim.runUntil(10.2 + 4.5 + 0.05);
    expect(sim.metrics.lookupsSent).toBe(2);
    expect(sim.metrics.totalNoServer).toBe(2);
  });

  it('"no server" answers spread their clients in time (backoff), where a fixed retry-after brings them back in lockstep', () => {
    const crashAll = 'faults: [{ kind: server-crash, at: 10s, servers: [common-0, common-1, common-2], mode: refuse, restartAfter: never }]';
    const base = ['population.clients=300', 'duration=100s', 'sampleInterval=1s'];
    const busiest = (overrides: string[]) => {
      const sim = world(crashAll, [...base, ...overrides]);
      sim.runUntil(100);
      return Math.max(...sim.result().series.lookups.noServerPerSec.slice(15));
    };
    // Every client's first "no server" comes at 10.2 s. A fixed 30 s brings all 300 back within one
    // second; the first backoff spreads them uniformly over [1.5, 4.5) s, at most ~100 per second.
    expect(busiest(['lookup.retryAfter=30s'])).toBe(300);
    expect(busiest([])).toBeLessThan(150);
  });

  it('tries the next lookup address after a failed lookup request, before it backs off', () => {
    const outage = 'faults: [{ kind: lookup-outage, at: 0s, duration: 100s, instances: [0], mode: blackhole }]';
    const overrides = ['lookup.instances=2', 'population.clients=200', 'population.start=disconnected'];
    const failover = world(outage, overrides);
    const none = world(outage, [...overrides, 'client.lookupFailover=0']);
    failover.runUntil(5.2);
    none.runUntil(5.2);
    // About half the first lookups go to the dead instance and time out at 5 s. With failover they ask
    // the other one at once and are connected at 5.1 s; without, they are backing off.
    const timedOut = failover.metrics.totalTimedOut;
    expect(timedOut).toBeGreaterThan(60);
    expect(timedOut).toBeLessThan(140);
    expect(failover.metrics.connected).toBe(200);
    // One lookup and one connect each, and a second lookup for those whose first went unanswered.
    const attempts = Array.from({ length: 200 }, (_, c) => failover.clients.attemptsOf(c)).reduce((a, b) => a + b);
    expect(attempts).toBe(400 + timedOut);
    expect(none.metrics.totalTimedOut).toBeGreaterThan(60);
    expect(none.metrics.connected).toBe(200 - none.metrics.totalTimedOut);
    expect(none.metrics.clientsInState[ClientState.idleBackoff]).toBe(none.metrics.totalTimedOut);
  });

  it('with its network down and failover on, sends a second lookup before backing off', () => {
    const sim = world('faults: [{ kind: carrier-outage, at: 1s, duration: 500s }]', ['lookup.instances=2']);
    // Connects at 1, 6, 11; lookups at 16 and 21 (the failover); backoff from 26.
    sim.runUntil(25.99);
    expect(sim.clients.attemptsOf(0)).toBe(5);
    expect(sim.metrics.totalTimedOut).toBe(1);
    sim.runUntil(26);
    expect(sim.clients.stateOf(0)).toBe(ClientState.idleBackoff);
    expect(sim.metrics.totalTimedOut).toBe(2);
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
  it('refuses sessions in standby ("not yet in service"), as when starting or draining, and accepts once running', () => {
    const sim = world('', ['population.clients=1', 'regions.0.servers=1']);
    const refusedIn = [ServerState.starting, ServerState.standby, ServerState.shuttingdown].filter((state) => {
      sim.servers.setState(0, state);
      return sim.servers.tryAccept(0, 1) === ConnectOutcome.refused;
    });
    expect(refusedIn).toEqual([ServerState.starting, ServerState.standby, ServerState.shuttingdown]);
    sim.servers.setState(0, ServerState.running);
    expect(sim.servers.tryAccept(0, 1)).toBe(ConnectOutcome.accepted);
  });

  it('a client holding the address of a server in standby is refused there and goes on to its other address', () => {
    const sim = world('faults: [{ kind: server-crash, at: 10s, servers: [common-0], mode: refuse }]');
    // The client's alternative (common-1) is in standby when its session on common-0 resets.
    sim.servers.setState(1, ServerState.standby);
    sim.runUntil(10.2);
    expect(sim.metrics.accepts[1]).toBe(0);
    expect(sim.metrics.connectAttempts[1]).toBe(3);
    sim.runUntil(10.3);
    expect(sim.clients.stateOf(0)).toBe(ClientState.connected);
    expect(sim.clients.serverOf(0)).toBe(2);
  });

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
