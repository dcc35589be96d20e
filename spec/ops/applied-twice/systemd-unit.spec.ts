// systemdUnit applied twice on a real lab host that boots systemd: a service with a drop-in, a
// timer with its service, a unit started by a later `service` task; one daemon-reload per run;
// check mode and --diff. On a lab host without systemd (the tini hosts of older labs) only the
// clear "does not run systemd" error is tested, and the rest says it was skipped. Needs root. Port 24402.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createProject } from '../../../lib/dsl/project.js';
import { deploy, expectAll, labSuite, why } from './lab-run.js';

const HOST = 'unit-01';
const lab = labSuite(test, HOST, 24402);
let systemd: boolean | undefined;
const isSystemd = async () => (systemd ??= (await lab.on('[ -d /run/systemd/system ] && echo yes || echo no')).out === 'yes');
const skipped = (what: string) => console.log(`  SKIPPED (lab host does not boot systemd): ${what}`);

const APP = '[Unit]\nDescription=shipshape spec app\n\n[Service]\nExecStart=/bin/sh -c \'echo "$GREETING" > /run/ss-app-greeting; exec sleep infinity\'\n\n[Install]\nWantedBy=multi-user.target\n';
const REPORT = '[Unit]\nDescription=shipshape spec report\n\n[Service]\nType=oneshot\nExecStart=/bin/touch /run/ss-report-ran\n';
const TIMER = '[Unit]\nDescription=shipshape spec report timer\n\n[Timer]\nOnCalendar=*:0/15\nOnActiveSec=1\n\n[Install]\nWantedBy=timers.target\n';
const LATER = '[Unit]\nDescription=started by a service task\n\n[Service]\nExecStart=/bin/sleep infinity\n\n[Install]\nWantedBy=multi-user.target\n';

function units(greeting = 'hello', o: { appText?: string } = {}) {
  const p = createProject();
  // the unit files come first, then what starts them: one daemon-reload covers them all
  // (examples/git-app's spec gives units their own enabled/state)
  lab.target(p)
    .systemdUnit('ss-report.service', { content: REPORT, name: 'report service' })
    .systemdUnit('ss-later.service', { content: LATER, name: 'later unit' })
    .systemdUnit('ss-report.timer', { content: TIMER, name: 'report timer' })
    .systemdUnit('ss-app.service', { content: o.appText ?? APP, name: 'app unit' })
    .systemdUnit('ss-app.service.d/greeting.conf', { template: { inline: '[Service]\nEnvironment=GREETING={{greeting}}\n' }, vars: { greeting }, enabled: true, state: 'restarted', name: 'app drop-in' })
    .service('ss-report.timer', { state: 'started', enabled: true, name: 'timer service' })
    .service('ss-later', { state: 'started', enabled: true, name: 'later service' });
  return p;
}
const NAMES = ['app unit', 'app drop-in', 'report service', 'report timer', 'later unit', 'timer service', 'later service'];
const reloads = async () => Number((await lab.on('sudo -n journalctl -q --no-pager _PID=1 2>/dev/null | grep -c "Reloading" || true')).out || 0);

test('on a host without systemd: a clear error naming the host', async () => {
  if (await isSystemd()) return;
  const r = await deploy(units());
  assert.is(r.result.exitCode, 2);
  const t = r.byName.get('app unit')!;
  assert.is(t.status, 'failed');
  assert.match(t.error!.explain(), `systemdUnit ss-app.service: host ${HOST} does not run systemd (no /run/systemd/system)`);
});

test('units, a drop-in and a timer: written, reloaded once, enabled and started; nothing on the second run', async () => {
  if (!(await isSystemd())) return skipped('applied twice');
  const r0 = await reloads();
  const first = await deploy(units());
  expectAll(first, HOST, NAMES, 'changed', 'run 1');
  assert.is(await reloads() - r0, 1, 'one daemon-reload for five changed units');
  assert.is((await lab.on('systemctl is-active ss-app.service ss-later.service ss-report.timer')).out, 'active\nactive\nactive');
  assert.is((await lab.on('systemctl is-enabled ss-app.service ss-later.service ss-report.timer')).out, 'enabled\nenabled\nenabled');
  assert.is((await lab.on('cat /run/ss-app-greeting')).out, 'hello', 'the drop-in took effect');
  assert.match((await lab.on('systemctl list-timers --all --no-pager')).out, 'ss-report.timer');
  assert.is((await lab.on('stat -c "%a %U" /etc/systemd/system/ss-app.service /etc/systemd/system/ss-app.service.d/greeting.conf')).out, '644 root\n644 root');
  const second = await deploy(units());
  expectAll(second, HOST, NAMES, 'ok', 'run 2');
  assert.is(await reloads() - r0, 1, 'no daemon-reload on the second run');
});

test('a changed drop-in restarts the unit it belongs to, after one reload', async () => {
  if (!(await isSystemd())) return skipped('changed drop-in');
  const pid = (await lab.on('systemctl show -p MainPID --value ss-app.service')).out;
  const r = await deploy(units('bye'));
  assert.is(r.result.exitCode, 0, why(r));
  assert.is(r.byName.get('app drop-in')!.status, 'changed');
  assert.equal(r.byName.get('app drop-in')!.changes.map((c) => c.what), ['content', 'state']);
  assert.is((await lab.on('cat /run/ss-app-greeting')).out, 'bye');
  assert.is.not((await lab.on('systemctl show -p MainPID --value ss-app.service')).out, pid, 'restarted');
  assert.is(r.result.hosts[HOST]?.changed, 1);
});

test('check mode with --diff shows the unit change and leaves the host alone', async () => {
  if (!(await isSystemd())) return skipped('check mode');
  const before = (await lab.on('sha256sum /etc/systemd/system/ss-app.service; systemctl show -p MainPID --value ss-app.service')).out;
  const r = await deploy(units('ciao', { appText: APP.replace('shipshape spec app', 'changed') }), { check: true, diff: true });
  assert.is(r.result.exitCode, 0, why(r));
  const t = r.byName.get('app unit')!;
  assert.is(t.status, 'changed');
  assert.match(t.changes[0]!.content!.after, 'Description=changed');
  assert.equal(t.changes.map((c) => c.what), ['content']);
  assert.equal(r.byName.get('app drop-in')!.changes.map((c) => c.what), ['content', 'state'], 'the changed drop-in would restart its unit');
  assert.is((await lab.on('sha256sum /etc/systemd/system/ss-app.service; systemctl show -p MainPID --value ss-app.service')).out, before);
});

test.run();
