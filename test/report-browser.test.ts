// The HTML report in a real browser: headless Debian Chromium, driven by
// playwright-core, opens the report of a small run from file://, and every
// chart must render with marks, with no console error and no request
// leaving the file (the report must work offline).
//
// Without /usr/bin/chromium the test is skipped locally; in CI (CI set) it
// must run — .ci/run installs the package.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type BrowserContext } from 'playwright-core';
import { loadScenarioFile } from '../sim/scenario/load.ts';
import { runScenario } from './support/model.ts';
import { buildReport, writeReport } from '../reports/lib/index.ts';
import { executePlan } from '../sim/batch/execute.ts';
import { preparePlan } from '../sim/batch/jobs.ts';
import { batchOutputs } from '../sim/batch/outputs.ts';
import { singleRunVerdicts } from '../sim/cli/gate.ts';
import { testTmp } from './support/temp.ts';

const CHROMIUM = '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available && !process.env.CI) {
  console.warn(`report-browser: skipped, ${CHROMIUM} not found (apt-get install chromium); CI runs it`);
}

describe.skipIf(!available && !process.env.CI)('the HTML report in headless Chromium', () => {
  let browser: BrowserContext;
  let dir: string;
  let profile: string;
  let chartIds: string[];

  beforeAll(async () => {
    const { scenario } = loadScenarioFile('scenarios/lookup-outage.yaml', ['population.clients=3000']);
    const result = runScenario(scenario);
    dir = mkdtempSync(join(testTmp(), 'stampede-report-browser-'));
    await writeReport(result, dir, { gitCommit: 'test' });
    chartIds = buildReport(result).charts.map((c) => c.id);
    profile = mkdtempSync(join(testTmp(), 'stampede-chromium-'));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1400, height: 900 },
    });
  });

  afterAll(async () => {
    await browser?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('renders every chart with marks, offline, without console errors', async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('requestfailed', (request) => problems.push(`failed request: ${request.url()} (${request.failure()?.errorText})`));
    page.on('request', (request) => {
      if (!request.url().startsWith('file:')) problems.push(`network request: ${request.url()}`);
    });

    const started = Date.now();
    await page.goto(pathToFileURL(join(dir, 'index.html')).href);
    await page.waitForSelector('body[data-charts="done"]', { timeout: 60_000 });
    const renderMs = Date.now() - started;

    const charts = await page.$$eval('.vega[data-chart]', (elements) =>
      elements.map((el) => ({
        id: el.getAttribute('data-chart'),
        rendered: el.getAttribute('data-rendered'),
        // Data marks only: lines, areas, rects (bars, cells, ticks) and points, not axes or legends.
        marks: el.querySelectorAll('svg g.role-mark.mark-line > path, svg g.role-mark.mark-area > path, svg g.role-mark.mark-rect > path, svg g.role-mark.mark-symbol > path').length,
        width: el.getBoundingClientRect().width,
      })),
    );
    console.info(`report-browser: ${charts.length} charts rendered in ${renderMs} ms`);
    expect(charts.map((c) => c.id)).toEqual(chartIds);
    for (const chart of charts) {
      expect(chart.rendered, chart.id ?? '').toBe('true');
      expect(chart.marks, `${chart.id} has no data marks`).toBeGreaterThan(0);
      expect(chart.width, chart.id ?? '').toBeGreaterThan(300);
    }
    expect(await page.textContent('h1')).toBe('lookup-outage');
    // The run has assertions but none judged here: the headline is the recovery.
    expect(await page.textContent('.headline .word')).toBe('RECOVERED');
    if (process.env.STAMPEDE_REPORT_SCREENSHOT) await page.screenshot({ path: process.env.STAMPEDE_REPORT_SCREENSHOT, fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });

  it('shows no pass colour in the header or cards for a failed assertion', async () => {
    // A target the run cannot meet: recovery.full fails, the run itself recovers (its badge alone would be green).
    const { scenario } = loadScenarioFile('scenarios/lookup-outage.yaml', ['population.clients=2000', 'assert.0=recovery.full <= 2m']);
    const result = runScenario(scenario);
    const verdicts = singleRunVerdicts(scenario, result).map((v) => ({ assertion: v.source, measured: v.measured, limit: v.limit, passed: v.passed === true }));
    expect(verdicts.filter((v) => !v.passed).map((v) => v.assertion)).toEqual(['recovery.full <= 2m']);
    expect(result.summary.recovery.full).not.toBeNull();
    const failing = join(dir, 'failing');
    await writeReport(result, failing, { gitCommit: 'test', verdicts });

    const page = await browser.newPage();
    await page.goto(pathToFileURL(join(failing, 'index.html')).href);
    await page.waitForSelector('body[data-charts="done"]', { timeout: 60_000 });
    const colours = await page.evaluate(() => {
      const root = getComputedStyle(document.documentElement);
      const rgb = (css: string) => {
        const probe = document.createElement('span');
        probe.style.color = css;
        document.body.append(probe);
        const value = getComputedStyle(probe).color;
        probe.remove();
        return value;
      };
      const pass = [rgb(root.getPropertyValue('--ok')), rgb(root.getPropertyValue('--ok-bg'))];
      const fail = rgb(root.getPropertyValue('--fail'));
      // Every element of the header (title, headline, badges, cards) that paints in a pass colour,
      // with whether it belongs to a passed assertion (a passed gate row, a card whose assertions passed).
      const green = [...document.querySelectorAll('header *')].flatMap((el) => {
        const style = getComputedStyle(el);
        const paints = [style.color, style.backgroundColor, style.borderTopColor, style.borderLeftColor];
        if (!paints.some((c) => pass.includes(c))) return [];
        const passed = el.closest('tr.ok, .figure[data-verdict="pass"]') !== null;
        return [{ text: (el.textContent ?? '').trim().slice(0, 60), passed }];
      });
      const card = [...document.querySelectorAll('.figure')].find((el) => el.querySelector('.label')?.textContent === 'all sessions back')!;
      return {
        green,
        stripe: getComputedStyle(document.querySelector('header')!).borderTopColor,
        headline: document.querySelector('.headline')!.textContent,
        card: { verdict: card.getAttribute('data-verdict'), border: getComputedStyle(card).borderLeftColor, gate: card.querySelector('.gate')?.textContent },
        fail,
      };
    });
    expect(colours.headline).toMatch(/^FAIL 1 of 5 gates failed/);
    expect(colours.stripe).toBe(colours.fail);
    expect(colours.card).toEqual({ verdict: 'fail', border: colours.fail, gate: '✘ recovery.full <= 2m' });
    // The passed assertions are green (so the check below sees something) and nothing else is.
    expect(colours.green.length).toBeGreaterThan(0);
    expect(colours.green.filter((g) => !g.passed)).toEqual([]);
    if (process.env.STAMPEDE_REPORT_SCREENSHOT) await page.screenshot({ path: process.env.STAMPEDE_REPORT_SCREENSHOT.replace(/\.png$/, '-failing.png'), fullPage: true });
    await page.close();
  });

  it("renders a batch's page: every chart of a comparison, beside its table, offline", async () => {
    const prepared = preparePlan({
      kind: 'compare',
      file: 'scenarios/lookup-outage.yaml',
      baseOverrides: ['population.clients=2000', 'sampleInterval=10s'],
      replications: 2,
      parameters: [{ name: 'policy', path: 'client.backoff.policy', values: ['gcm', 'full'] }],
    });
    const { outcomes } = await executePlan(prepared, { workers: 1 });
    const files = batchOutputs(prepared.plan, outcomes).files;
    const batchFile = join(dir, 'batch.html');
    writeFileSync(batchFile, files.find((f) => f.path === 'index.html')!.content);
    const chartFiles = files.filter((f) => f.path.startsWith('charts/')).length;

    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('request', (request) => {
      if (!request.url().startsWith('file:')) problems.push(`network request: ${request.url()}`);
    });
    await page.goto(pathToFileURL(batchFile).href);
    await page.waitForSelector('body[data-charts="done"]', { timeout: 60_000 });
    const charts = await page.$$eval('.vega[data-chart]', (elements) =>
      elements.map((el) => ({
        id: el.getAttribute('data-chart'),
        rendered: el.getAttribute('data-rendered'),
        marks: el.querySelectorAll('svg g.role-mark.mark-line > path, svg g.role-mark.mark-rule > line, svg g.role-mark.mark-symbol > path').length,
      })),
    );
    expect(charts.length).toBe(chartFiles);
    for (const chart of charts) {
      expect(chart.rendered, chart.id ?? '').toBe('true');
      expect(chart.marks, `${chart.id} has no data marks`).toBeGreaterThan(0);
    }
    expect(await page.textContent('h1')).toBe('Comparison: lookup-outage');
    expect(problems).toEqual([]);
    await page.close();
  });
  it('tells the leak: the page names the out-of-memory death, with its story, the detectors and the heap charts', async () => {
    const { scenario } = loadScenarioFile('scenarios/gray-failure-leak.yaml', ['population.clients=2000']);
    const result = runScenario(scenario);
    const leakDir = mkdtempSync(join(testTmp(), 'stampede-report-leak-'));
    try {
      // Without verdicts the headline itself is the leak's (no fault, so no recovery to report).
      await writeReport(result, leakDir, { gitCommit: 'test' });
      const page = await browser.newPage();
      await page.goto(pathToFileURL(join(leakDir, 'index.html')).href);
      await page.waitForSelector('body[data-charts="done"]', { timeout: 60_000 });
      const header = await page.locator('header').innerText();
      // Never "no fault injected" when a leak is configured: the badge says what became of the server.
      expect(header).not.toContain('no fault injected');
      expect(header).toContain('OUT OF MEMORY');
      expect(header).toMatch(/common-2 died out of memory at 6 d/);
      expect(header).toContain('L4 never noticed');
      const story = await page.locator('.story[data-server="common-2"]').innerText();
      expect(story).toMatch(/died out of memory/);
      expect(story).toMatch(/first suspension/);
      expect(story).toMatch(/HTTP 503/);
      expect(await page.locator('table.detectors tbody tr').count()).toBe(scenario.grayDetection.detectors.length);
      for (const id of ['heap-old-gen', 'heap-full-gcs', 'heap-cpu', 'heap-health-checks']) {
        expect(await page.locator(`#chart-${id}`).getAttribute('data-rendered')).toBe('true');
        expect(await page.locator(`#chart-${id} svg path`).count()).toBeGreaterThan(0);
      }
      await page.close();
    } finally {
      rmSync(leakDir, { recursive: true, force: true });
    }
  }, 120_000);
});
