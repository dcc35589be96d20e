// A rolling update of the webapp over 4 lab hosts (--serial 1), watched by a poller that
// hits every host's web port each 50 ms: never two hosts out of service at once, and a new
// version that does not start stops the rollout with the other hosts still serving the old
// one. Ports 25100-25103 (ssh) and 25200-25203 (web).
import { mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createProject } from '../../lib/dsl/project.js';
import { deployProject, type DeployOptions, type DeployResult } from '../../lib/engine/deploy.js';
import type { LabHost } from '../../lib/lab/index.js';
import type { EngineEvent } from '../../lib/report/events.js';
import { plainReporter } from '../../lib/report/plain.js';
import { webapp, type WebappParams } from '../../recipes/webapp/index.js';
import { beforeAll } from '../support/before-all.js';
import { withLab } from '../support/lab.js';
import { tmpDir } from '../support/tmp.js';
import { clusterOf, page, webUrl } from './webapp-helpers.js';

const local = tmpDir('ss-rolling-');
let hosts: LabHost[] = [];
let clusterFile: string;
let release: () => void = () => undefined;
let lab: Promise<void> | undefined;

beforeAll(test, 'lab up', () => new Promise<void>((ready, fail) => {
  const held = new Promise<void>((r) => { release = r; });
  lab = withLab(clusterOf('roll', 4, 25100), async (h, file) => { hosts = h; clusterFile = file; ready(); await held; });
  lab.catch(fail);
}));

test.after(async () => {
  release();
  await lab?.catch(() => undefined);
  local.cleanup();
});

/** An app version: answers `<text>\n`, or (broken) a Python syntax error that never starts. */
function appVersion(name: string, text: string | undefined): string {
  mkdirSync(join(local.dir, name));
  const file = join(local.dir, name, 'app.py');
  writeFileSync(file, text === undefined ? 'def app(environ, start_response)\n    return [b"never"]\n' : [
    'def app(environ, start_response):',
    `    data = b"${text}\\n"`,
    '    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(data)))])',
    '    return iter([data])',
    '',
  ].join('\n'));
  return file;
}
const v1 = appVersion('v1', 'version 1');
const v2 = appVersion('v2', 'version 2');
const broken = appVersion('broken', undefined);

async function deployApp(params: WebappParams, o: DeployOptions = {}) {
  const p = createProject();
  p.inventory.load(clusterFile);
  p.group('all').use(webapp, params);
  const events: EngineEvent[] = [];
  let text = '';
  const result: DeployResult = await deployProject(p, {
    argv: [], keepExitCode: true, reporter: (e) => events.push(e), listeners: [plainReporter({ write: (s) => { text += s; } })], ...o,
  });
  return { result, events, text };
}

/** One GET, no retry: the status and body, or the error. */
function probe(url: string): Promise<{ ok: boolean; body: string }> {
  return new Promise((resolve) => {
    const req = request(url, { timeout: 2000, agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d.toString('utf8'); });
      res.on('end', () => resolve({ ok: res.statusCode === 200, body }));
      res.on('error', () => resolve({ ok: false, body: '' }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve({ ok: false, body: e.message }));
    req.end();
  });
}

interface Sample { at: number; host: string; ok: boolean; body: string }

/** Polls every host each 50 ms (all four at once) until stopped; returns every answer. */
function poller(targets: LabHost[]) {
  const samples: Sample[] = [];
  const t0 = performance.now();
  const inflight: Promise<void>[] = [];
  const timer = setInterval(() => {
    const at = Math.round(performance.now() - t0);
    for (const h of targets) inflight.push(probe(webUrl(h)).then((r) => { samples.push({ at, host: h.name, ...r }); }));
  }, 50);
  return {
    async stop(): Promise<Sample[]> {
      clearInterval(timer);
      await Promise.all(inflight);
      return samples.sort((a, b) => a.at - b.at);
    },
  };
}

/**
 * The record: per tick, which hosts failed; the most failing in one tick; per host its failed
 * requests and its outage windows (first to last failing tick of a run of failures).
 */
function record(samples: Sample[], names: string[]) {
  const ticks = new Map<number, Set<string>>();
  for (const s of samples) { if (!ticks.has(s.at)) ticks.set(s.at, new Set()); if (!s.ok) ticks.get(s.at)!.add(s.host); }
  const maxDown = Math.max(0, ...[...ticks.values()].map((f) => f.size));
  const failedRequests = Object.fromEntries(names.map((n) => [n, samples.filter((s) => s.host === n && !s.ok).length]));
  const windows = Object.fromEntries(names.map((n) => {
    const out: [number, number][] = [];
    for (const s of samples.filter((x) => x.host === n)) {
      const last = out[out.length - 1];
      if (!s.ok) { if (last && last[1] === -1) continue; out.push([s.at, -1]); } else if (last && last[1] === -1) last[1] = s.at;
    }
    return [n, out.map(([a, b]) => [a, b === -1 ? Infinity : b] as [number, number])];
  }));
  return { ticks: ticks.size, maxDown, failedRequests, windows };
}

const overlapping = (w: Record<string, [number, number][]>) => {
  const all = Object.entries(w).flatMap(([h, ws]) => ws.map(([a, b]) => ({ h, a, b })));
  return all.flatMap((x, i) => all.slice(i + 1).filter((y) => y.h !== x.h && x.a < y.b && y.a < x.b).map((y) => `${x.h} ${x.a}-${x.b} and ${y.h} ${y.a}-${y.b} ms`));
};

test('the first deploy puts version 1 on all four hosts at once', async () => {
  const r = await deployApp({ appSource: v1, healthTimeout: 20 });
  assert.ok(r.result.ok, r.text);
  for (const h of hosts) assert.is((await page(webUrl(h))).body, 'version 1\n', h.name);
});

test('a rolling update with --serial 1 never has two hosts out of service at once', async () => {
  const names = hosts.map((h) => h.name);
  const watch = poller(hosts);
  await new Promise((r) => setTimeout(r, 500));
  const r = await deployApp({ appSource: v2, healthTimeout: 20 }, { argv: ['--serial', '1'] });
  await new Promise((r) => setTimeout(r, 500));
  const rec = record(await watch.stop(), names);
  // What the README shows as a captured rolling deploy.
  if (process.env.SHIPSHAPE_CAPTURE_ROLLOUT) writeFileSync(process.env.SHIPSHAPE_CAPTURE_ROLLOUT, r.text);
  console.log(`  rolling v1 -> v2: ${rec.ticks} ticks, max hosts down at once ${rec.maxDown}, failed requests ${JSON.stringify(rec.failedRequests)}`);
  assert.ok(r.result.ok, r.text);
  assert.equal(r.events.filter((e) => e.type === 'batch-start').map((e) => (e as { hosts: string[] }).hosts), names.map((n) => [n]));
  assert.match(r.text, /batch 1\/4: roll-1/);
  assert.ok(rec.ticks > 40, `the poller ran (${rec.ticks} ticks)`);
  assert.ok(rec.maxDown <= 1, `at most one host down at once, saw ${rec.maxDown}`);
  assert.equal(overlapping(rec.windows), [], 'no two outage windows overlap');
  for (const h of hosts) assert.is((await page(webUrl(h))).body, 'version 2\n', h.name);
  // Every host restarted, one after the other: the new code was taken up in order.
  const restarts = r.events.flatMap((e) => (e.type === 'task-end' && e.task.handler && e.result.status === 'changed' && /restart/.test(e.task.name) ? [e.task.host] : []));
  assert.equal([...new Set(restarts)], names);
});

test('a new version that does not start stops the rollout: the other hosts keep serving the old one', async () => {
  const names = hosts.map((h) => h.name);
  const watch = poller(hosts);
  await new Promise((r) => setTimeout(r, 300));
  const r = await deployApp({ appSource: broken, healthTimeout: 4 }, { argv: ['--serial', '1', '--max-fail-percent', '0'] });
  await new Promise((r) => setTimeout(r, 300));
  const rec = record(await watch.stop(), names);
  console.log(`  rolling v2 -> broken: ${rec.ticks} ticks, max hosts down at once ${rec.maxDown}, failed requests ${JSON.stringify(rec.failedRequests)}`);
  assert.is(r.result.ok, false);
  assert.is(r.result.exitCode, 2);
  assert.equal(r.result.notStarted, ['roll-2', 'roll-3', 'roll-4']);
  assert.match(r.text, /rollout stopped: 1 of 1 host of batch 1 failed, more than --max-fail-percent 0%; not started: roll-2, roll-3, roll-4/);
  assert.ok(rec.maxDown <= 1, `at most one host down at once, saw ${rec.maxDown}`);
  assert.ok(rec.failedRequests['roll-1']! > 0, 'the broken host was out of service');
  for (const n of ['roll-2', 'roll-3', 'roll-4']) assert.is(rec.failedRequests[n], 0, `${n} served throughout`);
  for (const h of hosts.slice(1)) assert.is((await page(webUrl(h))).body, 'version 2\n', h.name);
});

test('a good version rolled out after the broken one heals the first host and reaches the rest', async () => {
  const r = await deployApp({ appSource: v1, healthTimeout: 20 }, { argv: ['--serial', '1,50%'] });
  assert.ok(r.result.ok, r.text);
  assert.equal(r.events.filter((e) => e.type === 'batch-start').map((e) => (e as { hosts: string[] }).hosts), [['roll-1'], ['roll-2', 'roll-3'], ['roll-4']]);
  for (const h of hosts) assert.is((await page(webUrl(h))).body, 'version 1\n', h.name);
});

test.run();
