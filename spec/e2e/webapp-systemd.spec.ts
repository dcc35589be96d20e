// The webapp recipe with `manager: 'systemd'` on a systemd lab host: gunicorn runs under its
// own unit (no supervisor), nginx serves Hello, World!, a second run changes nothing, and a
// code change restarts the unit through its handler. Needs root. Ports 24610 (ssh), 24710 (web).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { labDown, labUp, type LabHost } from '../../lib/lab/index.js';
import { beforeAll } from '../support/before-all.js';
import { ssh } from '../support/lab.js';
import { tmpDir } from '../support/tmp.js';
import { clusterOf, deployWebapp, failures, page, webUrl } from './webapp-helpers.js';

const local = tmpDir('ss-webapp-systemd-');
const file = join(local.dir, 'cluster.json');
writeFileSync(file, JSON.stringify(clusterOf('wsd', 1, 24610), null, 2) + '\n');
const app = join(local.dir, 'app.py');
const appText = (text: string) => [
  'def app(environ, start_response):',
  `    data = b"${text}\\n"`,
  '    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(data)))])',
  '    return iter([data])',
  '',
].join('\n');
writeFileSync(app, appText('Hello, World!'));
let host: LabHost;

process.once('beforeExit', () => { labDown(file).catch(() => undefined); });
beforeAll(test, 'lab up', async () => { [host] = await labUp(file) as [LabHost]; });
test.after(async () => {
  await labDown(file);
  local.cleanup();
});

const on = async (cmd: string) => (await ssh(host, cmd, { user: 'root' })).stdout.trim();
const params = { manager: 'systemd' as const, appSource: app };

test('the first run installs no supervisor, starts app.service and serves the page through nginx', async () => {
  const r = await deployWebapp(file, params);
  assert.ok(r.result.ok, failures(r));
  const changed = r.changed('wsd-1');
  assert.ok(changed.includes('systemd unit app.service'), changed.join('\n'));
  assert.not.ok(changed.some((n) => n.includes('supervisor')), changed.join('\n'));
  assert.is((await page(webUrl(host))).body, 'Hello, World!\n');
  assert.is(await on('systemctl is-active app.service; systemctl is-enabled app.service'), 'active\nenabled');
  assert.is(await on('dpkg-query -W -f=\'${Status}\' supervisor 2>/dev/null || echo none'), 'none');
  assert.match(await on('cat /etc/systemd/system/app.service'), /ExecStart=\/opt\/webapp\/venv\/bin\/gunicorn -c gunicorn.conf.py app:app/);
});

test('a second run changes nothing', async () => {
  const r = await deployWebapp(file, params);
  assert.ok(r.result.ok, failures(r));
  assert.equal(r.changed('wsd-1'), []);
});

test('new code restarts the unit through its handler, and the new code serves', async () => {
  const pid = await on('systemctl show -p MainPID --value app.service');
  writeFileSync(app, appText('Hello again'));
  const r = await deployWebapp(file, params);
  assert.ok(r.result.ok, failures(r));
  assert.ok(r.handlersRun('wsd-1').some((n) => n.startsWith('handler restart app')), r.handlersRun('wsd-1').join('\n'));
  assert.is((await page(webUrl(host))).body, 'Hello again\n');
  assert.is.not(await on('systemctl show -p MainPID --value app.service'), pid);
});

test.run();
