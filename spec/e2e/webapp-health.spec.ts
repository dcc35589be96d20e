// The webapp proves the site works, on a real lab host: a non-root runAs serves; a new app
// version that does not start fails the run with its traceback and says the new code is on
// the host; fixing it heals; the waitFor op applied twice. Ports 23200 (ssh), 23201 (web).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createProject, type Project } from '../../lib/dsl/project.js';
import { deployProject, type DeployResult } from '../../lib/engine/deploy.js';
import type { LabHost } from '../../lib/lab/index.js';
import type { EngineEvent, TaskResult } from '../../lib/report/events.js';
import { beforeAll } from '../support/before-all.js';
import { ssh, withLab } from '../support/lab.js';
import { tmpDir } from '../support/tmp.js';
import { deployWebapp, failures, page, webUrl, type Run } from './webapp-helpers.js';

const cluster = {
  nodes: [{
    host_name: 'hc-01',
    port_mappings: [{ guest_port: 22, host_port: 23200, host_ip: '127.0.0.1' }, { guest_port: 80, host_port: 23201, host_ip: '127.0.0.1' }],
  }],
};

const local = tmpDir('ss-webapp-health-');
let host: LabHost;
let clusterFile: string;
let release: () => void = () => undefined;
let lab: Promise<void> | undefined;

// withLab spans the suite: it holds the lab until test.after releases it, then tears it down
beforeAll(test, 'lab up', () => new Promise<void>((ready, fail) => {
  const held = new Promise<void>((r) => { release = r; });
  lab = withLab(cluster, async (hosts, file) => { host = hosts[0]!; clusterFile = file; ready(); await held; });
  lab.catch(fail);
}));

test.after(async () => {
  release();
  await lab?.catch(() => undefined);
  local.cleanup();
});

const root = async (command: string) => (await ssh(host, command, { user: 'root' })).stdout.trim();
/** The users of gunicorn's master and workers, deduplicated. */
const gunicornUsers = async () => [...new Set((await root("ps -eo user:20,args | grep '[g]unicorn -c gunicorn.conf.py' | awk '{print $1}'")).split('\n'))];

function assertOk(r: Run, when: string) {
  assert.ok(r.result.ok, `${when}: ${failures(r)}`);
  for (const w of r.waits('hc-01')) assert.match(w, /: (ok|changed)$/, `${when}: ${w}`);
}

// A new app version with a Python syntax error, in its own folder so it is copied as app.py.
const badApp = join(local.dir, 'bad', 'app.py');
mkdirSync(join(local.dir, 'bad'));
writeFileSync(badApp, 'def app(environ, start_response)\n    return [b"never"]\n');

test('with runAs www-data a fresh host serves Hello, World! through nginx, and a second run changes nothing', async () => {
  const first = await deployWebapp(clusterFile, { runAs: 'www-data' });
  assertOk(first, 'first run');
  for (const t of ['file /var/log/gunicorn-error.log (touch)', 'file /var/log/gunicorn-access.log (touch)', 'app running under supervisor']) {
    assert.ok(first.changed('hc-01').includes(t), `${t} changed (changed: ${first.changed('hc-01').join(', ')})`);
  }
  assert.equal(first.waits('hc-01').map((w) => w.replace(/: \w+$/, '')), [
    // Each recipe runs its queued restart or reload before its own final check (flushHandlers).
    // The app's restart is not among them: "app running under supervisor" started it from the
    // new files, which supersedes the restart the files queued.
    'app answers HTTP on port 5000',
    'handler check nginx site app-nginx.conf: site app-nginx.conf answers on port 80', 'site app-nginx.conf answers on port 80',
  ]);
  assert.equal(await page(webUrl(host)), { status: 200, body: 'Hello, World!\n' });
  assert.equal(await gunicornUsers(), ['www-data']);
  assert.is(await root('stat -c %U /var/log/gunicorn-error.log /var/log/gunicorn-access.log'), 'www-data\nwww-data');
  assert.match(await root('cat /var/log/gunicorn-error.log'), /Booting worker/, 'gunicorn wrote its error log as www-data');

  const second = await deployWebapp(clusterFile, { runAs: 'www-data' });
  assertOk(second, 'second run');
  assert.is(second.result.hosts['hc-01']?.changed, 0, second.changed('hc-01').join(', '));
  assert.equal(second.handlersRun('hc-01'), []);
  assert.equal(second.ends.filter((e) => e.op === 'waitFor').map((e) => e.result.reason), ['port 5000 answers HTTP 200', 'port 80 answers HTTP 200']);
});

test('logs a root run left behind are handed to runAs, and the app restarts as that user and serves', async () => {
  const asRoot = await deployWebapp(clusterFile, {});
  assertOk(asRoot, 'run as root');
  assert.equal(await gunicornUsers(), ['root']);
  assert.is(await root('stat -c %U /var/log/gunicorn-error.log /var/log/gunicorn-access.log'), 'root\nroot');

  const r = await deployWebapp(clusterFile, { runAs: 'www-data' });
  assertOk(r, 'back to www-data');
  assert.equal(r.changed('hc-01'), [
    'template app_supervisor.conf → /etc/supervisor/conf.d/app_supervisor.conf',
    'file /var/log/gunicorn-error.log (touch)', 'file /var/log/gunicorn-access.log (touch)',
    'handler update supervisor: supervisorctl reread', 'handler update supervisor: supervisorctl update',
    'handler restart app: supervisorctl restart app',
  ]);
  const owner = r.ends.find((e) => e.name === 'file /var/log/gunicorn-error.log (touch)')!.result.changes;
  assert.equal(owner.map((c) => `${c.what} ${c.before} → ${c.after}`), ['owner root → www-data']);
  assert.equal(await gunicornUsers(), ['www-data']);
  assert.equal(await page(webUrl(host)), { status: 200, body: 'Hello, World!\n' });
});

test('an app with a syntax error fails the run (exit 2) with the traceback\'s last lines, saying the new code is on the host and not serving', async () => {
  // The failure is certain (the code never imports), so a short wait is enough.
  const r = await deployWebapp(clusterFile, { runAs: 'www-data', appSource: badApp, healthTimeout: 5 });
  assert.is(r.result.ok, false);
  assert.is(r.result.exitCode, 2);
  const failed = r.ends.filter((e) => e.result.status === 'failed');
  assert.equal(failed.map((e) => `${e.handler}: ${e.name}`), ['restart app: app answers HTTP on port 5000'], failures(r));
  const text = failed[0]!.result.error!.explain();
  assert.match(text, 'hc-01: port 5000 did not answer GET / with a status below 500 within 5 s');
  assert.match(text, 'app was restarted with the new code and config, which are on the host now, but it is not serving: fix it and run again');
  assert.match(text, '--- last lines of /var/log/gunicorn-error.log:');
  assert.match(text, 'File "/opt/webapp/app.py", line 1');
  assert.match(text, /SyntaxError: /);
  // What the error says is so: the new code is there, and the site does not serve.
  assert.is(await root('cat /opt/webapp/app.py'), 'def app(environ, start_response)\n    return [b"never"]');
  assert.is((await page(webUrl(host))).status, 502);
});

test('the fixed app deploys: the run succeeds and serves the page, and the next run changes nothing', async () => {
  const fixed = await deployWebapp(clusterFile, { runAs: 'www-data' });
  assertOk(fixed, 'fixed run');
  assert.ok(fixed.changed('hc-01').includes('copy app.py → /opt/webapp/app.py'), fixed.changed('hc-01').join(', '));
  // The failed version left the program stopped (FATAL: it is started from the fixed code,
  // which supersedes the restart the copy queued) or still retrying (STARTING: the restart
  // handler loads the fixed code). Exactly one of the two brings the new code up.
  const started = fixed.changed('hc-01').includes('app running under supervisor');
  const restarted = fixed.handlersRun('hc-01').some((h) => h.startsWith('handler restart app: supervisorctl restart'));
  assert.ok(started !== restarted, `started ${started}, restarted ${restarted}: ${fixed.changed('hc-01').join(', ')}`);
  assert.equal(await page(webUrl(host)), { status: 200, body: 'Hello, World!\n' });
  const again = await deployWebapp(clusterFile, { runAs: 'www-data' });
  assertOk(again, 'run after the fix');
  assert.is(again.result.hosts['hc-01']?.changed, 0, again.changed('hc-01').join(', '));
});

test('a new app port: the app is restarted before its check, nginx proxies to the new port, and the page is served', async () => {
  // Before flushHandlers the final check ran against the old process and failed on the new port.
  const moved = await deployWebapp(clusterFile, { runAs: 'www-data', port: 5001 });
  assertOk(moved, 'port change');
  assert.ok(moved.handlersRun('hc-01').includes('handler restart app: app answers HTTP on port 5001'), moved.handlersRun('hc-01').join(', '));
  assert.is(await root("bash -c 'exec 3<>/dev/tcp/127.0.0.1/5001 && echo open' 2>&1"), 'open', 'gunicorn listens on 5001');
  assert.equal(await page(webUrl(host)), { status: 200, body: 'Hello, World!\n' });
  const back = await deployWebapp(clusterFile, { runAs: 'www-data' });
  assertOk(back, 'port back to 5000');
  assert.equal(await page(webUrl(host)), { status: 200, body: 'Hello, World!\n' });
});

// ---- the op itself, applied twice ----

interface OpRun { result: DeployResult; byName: Map<string, TaskResult> }

async function deploy(p: Project, check = false): Promise<OpRun> {
  const events: EngineEvent[] = [];
  const result = await deployProject(p, { argv: [], keepExitCode: true, check, reporter: (e) => events.push(e) });
  const byName = new Map<string, TaskResult>();
  for (const e of events) if (e.type === 'task-end') byName.set(e.task.name, e.result);
  return { result, byName };
}

const target = (p: Project) => p.host('hc-01', { address: host.address, port: host.port, user: host.user, privateKey: host.privateKey, become: true });

test('waitFor applied twice: after nginx is started it waits if it must, then it is a no-op', async () => {
  await root('service nginx stop');
  assert.is(await root('pidof nginx || echo stopped'), 'stopped');
  const build = () => {
    const p = createProject();
    target(p).service('nginx', { state: 'started', name: 'nginx started' }).waitFor({ port: 80, path: '/', name: 'nginx answers' });
    return p;
  };
  const check = await deploy(build(), true);
  assert.is(check.result.exitCode, 0);
  assert.is(check.byName.get('nginx answers')!.unknown, true, 'check mode says it would wait, not that it would fail');
  const first = await deploy(build());
  assert.is(first.result.exitCode, 0, first.byName.get('nginx answers')?.error?.explain());
  assert.is(first.byName.get('nginx started')!.status, 'changed');
  assert.match(first.byName.get('nginx answers')!.status, /^(ok|changed)$/);
  const second = await deploy(build());
  assert.is(second.result.exitCode, 0);
  assert.is(second.result.hosts['hc-01']?.changed, 0);
  assert.is(second.byName.get('nginx answers')!.reason, 'port 80 answers HTTP 200');
});

test('waitFor on a port nothing listens on fails after its timeout, naming the host, the wait and the log', async () => {
  const p = createProject();
  target(p).waitFor({ port: 81, timeout: 2, logFile: '/var/log/nginx/error.log', name: 'port 81' });
  const r = await deploy(p);
  assert.is(r.result.exitCode, 2);
  const text = r.byName.get('port 81')!.error!.explain();
  assert.match(text, 'hc-01: port 81 did not accept connections within 2 s (last: Connection refused;');
  assert.match(text, /--- (last lines of \/var\/log\/nginx\/error\.log:|\/var\/log\/nginx\/error\.log is empty)/);
});

test.run();
