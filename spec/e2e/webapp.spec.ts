// The webapp recipe on real lab hosts over SSH: a fresh host, idempotence, targeted changes,
// a broken nginx config, check mode, three hosts at once. One 3-host lab for all cases;
// hosts are reset rather than re-created. Ports 22400-22402 (ssh) and 22500-22502 (web).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labDown, labReset, labUp, type LabHost } from '../../lib/lab/index.js';
import { beforeAll } from '../support/before-all.js';
import { ssh } from '../support/lab.js';
import { clusterOf, deployWebapp, failures, page, STATE_LISTING, webUrl, type Run } from './webapp-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'ss-webapp-e2e-'));
const file = join(dir, 'cluster.json');
writeFileSync(file, JSON.stringify(clusterOf('wa', 3, 22400), null, 2) + '\n');
let hosts: LabHost[] = [];
const byName = (n: string) => hosts.find((h) => h.name === n)!;
const timings: string[] = [];

// An app that answers differently from the seed's, as a user's own code would.
const myApp = join(dir, 'app.py');
writeFileSync(myApp, [
  'def app(environ, start_response):',
  '    data = b"Hello, shipshape!\\n"',
  '    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(data)))])',
  '    return iter([data])',
  '',
].join('\n'));

const root = async (h: LabHost, command: string) => {
  const r = await ssh(h, command, { user: 'root' });
  return r;
};

function assertOk(r: Run) {
  assert.ok(r.result.ok, failures(r));
}

process.once('beforeExit', () => { labDown(file).catch(() => undefined); });

beforeAll(test, 'lab up', async () => { hosts = await labUp(file); });

test.after(async () => {
  await labDown(file);
  rmSync(dir, { recursive: true, force: true });
  if (timings.length) console.log(`\n  webapp e2e wall times: ${timings.join('; ')}`);
});

test('a fresh host: the first run changes everything, runs the handlers and serves Hello, World!', async () => {
  const r = await deployWebapp(file, {}, { limit: ['wa-1'] });
  timings.push(`1 host first run ${r.seconds.toFixed(1)} s`);
  assertOk(r);
  const changed = r.changed('wa-1');
  for (const t of [
    'apt nginx', 'template nginx.conf → /etc/nginx/nginx.conf', 'apt python3 python3-venv supervisor', 'file /opt/webapp (directory)',
    'venv /opt/webapp/venv', 'copy requirements.txt → /opt/webapp/requirements.txt', 'copy app.py → /opt/webapp/app.py',
    'pip -r /opt/webapp/requirements.txt in /opt/webapp/venv', 'template gunicorn.conf.py → /opt/webapp/gunicorn.conf.py',
    'template app_supervisor.conf → /etc/supervisor/conf.d/app_supervisor.conf', 'app running under supervisor',
    'template app-nginx.conf → /etc/nginx/sites-available/app-nginx.conf', 'file /etc/nginx/sites-enabled/app-nginx.conf (link)',
  ]) assert.ok(changed.includes(t), `${t} changed (changed: ${changed.join(', ')})`);
  // Each recipe runs its queued handlers before its own final check. The app's are not run:
  // "app running under supervisor" started it from the new files, which supersedes them.
  assert.equal(r.handlersRun('wa-1'), [
    'handler reload nginx: check the nginx config (nginx -t)', 'handler reload nginx: reload nginx',
    'handler check nginx site app-nginx.conf: site app-nginx.conf answers on port 80',
  ]);
  assert.equal(await page(webUrl(byName('wa-1'))), { status: 200, body: 'Hello, World!\n' });
});

test('gunicorn runs the seed\'s number of workers under supervisor and the nginx config passes nginx -t', async () => {
  const h = byName('wa-1');
  const cpus = Number((await root(h, "python3 -c 'import multiprocessing; print(multiprocessing.cpu_count())'")).stdout.trim());
  const procs = await root(h, "ps -eo args | grep -c '^[^ ]*python[0-9.]* /opt/webapp/venv/bin/gunicorn -c gunicorn.conf.py app:app'");
  assert.is(Number(procs.stdout.trim()), cpus * 2 + 1 + 1, 'the master and cpu_count() * 2 + 1 workers');
  assert.match((await root(h, 'supervisorctl status app')).stdout, /^app\s+RUNNING/);
  const t = await root(h, 'nginx -t');
  assert.is(t.code, 0, t.stderr);
  assert.match(t.stderr, /syntax is ok/);
});

test('a second run changes nothing and runs no handler', async () => {
  const r = await deployWebapp(file, {}, { limit: ['wa-1'] });
  timings.push(`1 host second run ${r.seconds.toFixed(2)} s`);
  assertOk(r);
  assert.equal(r.changed('wa-1'), []);
  assert.equal(r.handlersRun('wa-1'), []);
});

test('a new app source changes only the code copy and restarts the app; nginx is untouched', async () => {
  const r = await deployWebapp(file, { appSource: myApp }, { limit: ['wa-1'] });
  assertOk(r);
  assert.equal(r.changed('wa-1'), ['copy app.py → /opt/webapp/app.py', 'handler restart app: supervisorctl restart app']);
  assert.equal(await page(webUrl(byName('wa-1'))), { status: 200, body: 'Hello, shipshape!\n' });
});

test('a param that only concerns nginx changes only the server block and reloads nginx', async () => {
  const r = await deployWebapp(file, { appSource: myApp, serverName: 'wa-1.test' }, { limit: ['wa-1'] });
  assertOk(r);
  assert.equal(r.changed('wa-1'), [
    'template app-nginx.conf → /etc/nginx/sites-available/app-nginx.conf',
    'handler reload nginx: check the nginx config (nginx -t)', 'handler reload nginx: reload nginx',
  ]);
  assert.match((await root(byName('wa-1'), 'cat /etc/nginx/sites-available/app-nginx.conf')).stdout, /^ {4}server_name wa-1\.test;$/m);
  assert.equal(await page(webUrl(byName('wa-1'))), { status: 200, body: 'Hello, shipshape!\n' });
});

test('a broken server block fails the run with nginx\'s error, is not reloaded, and the old site keeps serving', async () => {
  const h = byName('wa-1');
  const pid = (await root(h, 'cat /run/nginx.pid')).stdout.trim();
  const broken = { inline: 'server {\n    listen {{listen}};\n    bogus_directive on;\n}\n' };
  const r = await deployWebapp(file, { appSource: myApp, serverName: 'wa-1.test', siteTemplate: broken }, { limit: ['wa-1'] });
  assert.is(r.result.ok, false);
  assert.is(r.result.exitCode, 2);
  const failed = r.ends.filter((e) => e.result.status === 'failed');
  assert.is(failed.length, 1);
  assert.is(failed[0]!.name, 'check the nginx config (nginx -t)');
  assert.match(failed[0]!.result.error!.explain(), /unknown directive "bogus_directive"/);
  const reload = r.ends.find((e) => e.handler === 'reload nginx' && e.name === 'reload nginx');
  assert.is(reload?.result.status, 'skipped');
  assert.equal(await page(webUrl(h)), { status: 200, body: 'Hello, shipshape!\n' });
  assert.is((await root(h, 'cat /run/nginx.pid')).stdout.trim(), pid, 'the same nginx master, never reloaded with the bad config');

  // Good params again: the server block is rewritten and nginx reloaded.
  const fixed = await deployWebapp(file, { appSource: myApp, serverName: 'wa-1.test' }, { limit: ['wa-1'] });
  assertOk(fixed);
  assert.equal(fixed.changed('wa-1'), [
    'template app-nginx.conf → /etc/nginx/sites-available/app-nginx.conf',
    'handler reload nginx: check the nginx config (nginx -t)', 'handler reload nginx: reload nginx',
  ]);
});

test('--check on a fresh host reports what would change and changes nothing', async () => {
  const h = byName('wa-2');
  const before = await root(h, STATE_LISTING);
  assert.is(before.code, 0, before.stderr);
  const r = await deployWebapp(file, {}, { limit: ['wa-2'], check: true });
  assert.ok(r.result.ok, failures(r));
  assert.ok(r.result.check);
  const changed = r.changed('wa-2');
  assert.ok(changed.includes('apt nginx') && changed.includes('template nginx.conf → /etc/nginx/nginx.conf') && changed.includes('copy app.py → /opt/webapp/app.py'), changed.join(', '));
  const after = await root(h, STATE_LISTING);
  assert.ok(before.stdout === after.stdout, 'the host is unchanged under /etc, /opt, /var/lib/dpkg and /var/lib/apt');
  assert.is((await root(h, 'test -e /opt/webapp || echo absent')).stdout.trim(), 'absent');
});

test('three hosts from one cluster.json at once all serve the page, and a second run changes nothing', async () => {
  hosts = await labReset(file);
  const first = await deployWebapp(file, {});
  timings.push(`3 hosts first run ${first.seconds.toFixed(1)} s`);
  assertOk(first);
  for (const h of hosts) assert.equal(await page(webUrl(h)), { status: 200, body: 'Hello, World!\n' }, h.name);
  const second = await deployWebapp(file, {});
  timings.push(`3 hosts second run ${second.seconds.toFixed(2)} s`);
  assertOk(second);
  for (const h of hosts) assert.equal(second.changed(h.name), [], h.name);
});

test.run();
