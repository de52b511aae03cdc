// `exec:` hooks (docs/live.md): against a user's own target, `stampede load --target URL` runs each
// fault's start and end commands at the fault's times, logs their output, and a failing command
// stops the run with its partial result marked. The target here is a fake one on loopback: a small
// node:http lookup in this process and one reference session server; the hooks cause the fault
// themselves (a flag file the fake lookup reads: while it exists, lookups are refused).
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseScenarioText } from '../sim/scenario/load.ts';
import { runLoad } from '../live/load-run.ts';
import { Hooks } from '../live/exec-hooks.ts';
import { EXTRA_CA_CERTS_SET_ASIDE } from '../live/user-environment.ts';
// @ts-expect-error: a plain CommonJS module of the launcher, without type declarations
import { SET_ASIDE } from '../bin/extra-ca-certs.cjs';
import { nodeEntry, sleep } from '../live/processes.ts';
import { freePort, portFree, releaseAllPorts } from '../live/ports.ts';
import { runScenario } from './support/model.ts';
import { testTmp } from './support/temp.ts';

const dir = mkdtempSync(join(testTmp(), 'stampede-exec-test-'));
const children: ChildProcess[] = [];
const servers: Server[] = [];

afterAll(async () => {
  releaseAllPorts();
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) {
      c.kill('SIGKILL');
      await new Promise((r) => c.once('exit', r));
    }
  }
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  rmSync(dir, { recursive: true, force: true });
});

/** One reference session server and a fake lookup answering it; refused while `flag` exists. */
async function fakeTarget(flag: string): Promise<{ url: string; ports: number[] }> {
  const port = await freePort();
  const health = await freePort();
  const entry = nodeEntry('session-server.ts');
  const server = spawn(entry.command, [...entry.args, '--port', String(port), '--health-port', String(health), '--max-sessions', '10000',
    '--max-accepts-per-sec', '10000', '--overload-accepts-per-sec', '100000', '--overload-for', '10', '--startup', '0'], { stdio: 'ignore', env: { ...process.env, STAMPEDE_PARENT: String(process.pid) } });
  children.push(server);
  const deadline = Date.now() + 20_000;
  while (!(await new Promise<boolean>((resolve) => {
    const s = connect(port, '127.0.0.1', () => (s.destroy(), resolve(true)));
    s.on('error', () => resolve(false));
  }))) {
    if (Date.now() > deadline) throw new Error('the session server did not start');
    await sleep(100);
  }
  const lookup = createServer((req, res) => {
    if (existsSync(flag)) {
      req.socket.destroy();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ primary: `127.0.0.1:${port}`, alternative: `127.0.0.1:${port}` }));
  });
  servers.push(lookup);
  const lookupPort = await freePort();
  await new Promise<void>((r) => lookup.listen(lookupPort, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${lookupPort}`, ports: [port, health, lookupPort] };
}

const scenario = (faults: string) => parseScenarioText(`name: exec-hooks
duration: 10m
population:
  clients: 300
client:
  churn:
    sessionLifetimeMean: 2m
lookup:
  instances: 1
regions:
  - name: common
    servers: 1
faults:
${faults}`, 'exec-hooks.yaml').scenario;

describe('exec: hooks against a user target', () => {
  it('runs each fault\'s start and end commands at their times, logs their output, and the simulation ignores them', async () => {
    const flag = join(dir, 'outage');
    const log = join(dir, 'hooks.log');
    const target = await fakeTarget(flag);
    const s = scenario(`  - kind: lookup-outage
    at: 2m
    duration: 3m
    mode: refuse
    exec:
      start: "touch ${flag}; echo start $STAMPEDE_FAULT_KIND $STAMPEDE_FAULT_PHASE >> ${log}; echo hello from start"
      end: "rm ${flag}; echo end $STAMPEDE_FAULT_INDEX >> ${log}"
      timeout: 5s
`);
    expect(s.faults[0].exec).toEqual({ start: expect.stringContaining('touch'), end: expect.stringContaining('rm'), timeout: 5 });
    const result = await runLoad(s, { clients: 300, timeScale: 0.02, target: target.url });
    expect(result.partial).toBeUndefined();
    expect(result.skippedFaults).toEqual([]);
    expect(readFileSync(log, 'utf8')).toBe('start lookup-outage start\nend 0\n');
    expect(existsSync(flag)).toBe(false);
    const hooks = result.faultLog.filter((f) => f.action.startsWith('exec '));
    expect(hooks.map((h) => h.action)).toEqual([expect.stringMatching(/^exec start of fault 0 \(lookup-outage\): .*exit 0/), expect.stringMatching(/^exec end of fault 0 \(lookup-outage\): .*exit 0/)]);
    expect(hooks[0].output).toBe('hello from start\n');
    // At the fault's times (scaled: 2.4 s and 6 s), within scheduling slack.
    expect(hooks[0].time).toBeGreaterThanOrEqual(2.39);
    expect(hooks[0].time).toBeLessThan(3);
    expect(hooks[1].time).toBeGreaterThanOrEqual(5.99);
    expect(hooks[1].time).toBeLessThan(6.6);
    // The hooks really caused the outage: lookups were refused while the flag existed.
    expect(result.series.lookupsRefused.some((v) => v > 0)).toBe(true);
    expect(result.simulated).not.toBeNull();
    // The simulation ignores exec: the same run without it gives the same bytes.
    const plain = structuredClone(s);
    plain.faults[0].exec = null;
    expect(JSON.stringify(runScenario(plain).summary)).toBe(JSON.stringify(runScenario(s).summary));
    for (const port of target.ports) expect(await portFree(port)).toBe(false); // ours, still up: the run stopped only what it started
  }, 60_000);

  it('a failing or hanging command stops the run: partial result marked, the command\'s output logged, nothing left running', async () => {
    const target = await fakeTarget(join(dir, 'never'));
    const s = scenario(`  - kind: server-crash
    at: 1m
    servers: [common-0]
    restartAfter: 1m
    exec:
      start: "echo cannot reach the host >&2; exit 3"
  - kind: manager-crash
    at: 2m
    restartAfter: 1m
    exec:
      start: "sleep 30.25"
      timeout: 1s
`);
    const failing = await runLoad(s, { clients: 100, timeScale: 0.02, target: target.url });
    expect(failing.partial?.reason).toMatch(/the exec start command of fault 0 \(server-crash\) failed: exit code 3/);
    expect(failing.comparison).toBeNull();
    const entry = failing.faultLog.find((f) => f.action.startsWith('exec start of fault 0'));
    expect(entry?.output).toBe('cannot reach the host\n');
    // A command past its timeout is killed, and that too stops the run.
    s.faults.shift();
    const hanging = await runLoad(s, { clients: 100, timeScale: 0.02, target: target.url });
    expect(hanging.partial?.reason).toMatch(/the exec start command of fault 0 \(manager-crash\) failed: timed out after 1\.\d s \(killed\)/);
    // A duration no other process on the machine sleeps for; what is left, if anything, shown with its parent and state.
    const left = spawn('pgrep', ['-f', '^sleep 30\\.25$']);
    const found = await new Promise<string>((resolve) => {
      let out = '';
      left.stdout.on('data', (c) => (out += c));
      left.on('close', () => resolve(out.trim()));
    });
    const details = found === '' ? '' : execFileSync('ps', ['-o', 'pid,ppid,pgid,stat,etime,args', '-p', found.split('\n').join(',')], { encoding: 'utf8' });
    expect(found, details).toBe('');
  }, 60_000);

  it('an exec end on a fault that has no end is refused before anything starts', async () => {
    const s = scenario(`  - kind: server-crash
    at: 1m
    servers: [common-0]
    exec:
      end: "true"
`);
    await expect(runLoad(s, { clients: 10, timeScale: 0.02, target: 'http://127.0.0.1:9' })).rejects.toThrow(/faults\.0\.exec\.end: a server-crash fault that never restarts has no end to run it at/);
  });

  it('a command gets NODE_EXTRA_CA_CERTS as the user set it, which stampede set aside for its own processes', async () => {
    const before = { set: process.env[EXTRA_CA_CERTS_SET_ASIDE], certs: process.env.NODE_EXTRA_CA_CERTS };
    const restore = (name: string, value: string | undefined) => (value === undefined ? delete process.env[name] : (process.env[name] = value));
    process.env[EXTRA_CA_CERTS_SET_ASIDE] = '/etc/the user.crt';
    delete process.env.NODE_EXTRA_CA_CERTS;
    try {
      const hooks = new Hooks();
      const run = await hooks.run('printf "%s|%s" "${NODE_EXTRA_CA_CERTS-unset}" "${STAMPEDE_NODE_EXTRA_CA_CERTS-unset}"', 5, {});
      await hooks.stopAll();
      expect(run.output).toBe('/etc/the user.crt|unset');
      // The launcher's name for it (bin/stampede.cjs's sh lines are held to it in test/huge-pages.test.ts).
      expect(EXTRA_CA_CERTS_SET_ASIDE).toBe(SET_ASIDE);
    } finally {
      restore(EXTRA_CA_CERTS_SET_ASIDE, before.set);
      restore('NODE_EXTRA_CA_CERTS', before.certs);
    }
  });
});
