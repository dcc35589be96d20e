// The service op's systemd path on a systemd lab host, each state applied twice: started and
// enabled, restarted (a new main PID), reloaded (ExecReload ran), stopped and disabled; and a
// unit file changed by a plain `file` task is loaded (daemon-reload) before the restart.
// Needs root and the lab's tools. Port 24640.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createProject } from '../../../lib/dsl/project.js';
import type { ServiceArgs } from '../../../lib/ops/service.js';
import { deploy, expectAll, labSuite } from './lab-run.js';

const HOST = 'svc-01';
const lab = labSuite(test, HOST, 24640);
const unit = (greeting: string) => '[Unit]\nDescription=service op spec\n\n[Service]\n' +
  `ExecStart=/bin/sh -c 'echo ${greeting} > /run/ss-svc-greeting; exec sleep infinity'\nExecReload=/bin/touch /run/ss-svc-reloaded\n\n[Install]\nWantedBy=multi-user.target\n`;
const pid = async () => (await lab.on('systemctl show -p MainPID --value ss-svc.service')).out;

/** The unit file (a plain file task), then the service task; both named. */
function plan(svc: Omit<ServiceArgs, 'name'>, greeting = 'hello') {
  const p = createProject();
  lab.target(p)
    .file('/etc/systemd/system/ss-svc.service', { content: unit(greeting), mode: 0o644, name: 'unit file' })
    .service('ss-svc', { ...svc, name: 'svc' });
  return p;
}

test('started and enabled: the first run starts and enables, the second changes nothing', async () => {
  const first = await deploy(plan({ state: 'started', enabled: true }));
  expectAll(first, HOST, ['unit file', 'svc'], 'changed', 'run 1');
  assert.is((await lab.on('systemctl is-active ss-svc; systemctl is-enabled ss-svc')).out, 'active\nenabled');
  const second = await deploy(plan({ state: 'started', enabled: true }));
  expectAll(second, HOST, ['unit file', 'svc'], 'ok', 'run 2');
});

test('restarted acts on every run (it is for handlers) and gives a new main PID', async () => {
  const before = await pid();
  const r = await deploy(plan({ state: 'restarted' }));
  expectAll(r, HOST, ['svc'], 'changed', 'restart');
  assert.is.not(await pid(), before);
});

test('reloaded runs ExecReload and keeps the main PID', async () => {
  await lab.on('sudo rm -f /run/ss-svc-reloaded');
  const before = await pid();
  const r = await deploy(plan({ state: 'reloaded' }));
  expectAll(r, HOST, ['svc'], 'changed', 'reload');
  assert.is(await pid(), before);
  assert.is((await lab.on('test -e /run/ss-svc-reloaded && echo reloaded')).out, 'reloaded');
});

test('a unit file changed by a file task is loaded before the restart: the new ExecStart runs', async () => {
  const r = await deploy(plan({ state: 'restarted' }, 'changed'));
  expectAll(r, HOST, ['unit file', 'svc'], 'changed', 'changed unit');
  assert.is((await lab.on('cat /run/ss-svc-greeting')).out, 'changed');
  assert.is((await lab.on('systemctl show -p NeedDaemonReload --value ss-svc')).out, 'no');
});

test('stopped and disabled: the first run stops and disables, the second changes nothing', async () => {
  const first = await deploy(plan({ state: 'stopped', enabled: false }, 'changed'));
  expectAll(first, HOST, ['svc'], 'changed', 'stop');
  assert.is((await lab.on('systemctl is-active ss-svc; systemctl is-enabled ss-svc')).out, 'inactive\ndisabled');
  const second = await deploy(plan({ state: 'stopped', enabled: false }, 'changed'));
  expectAll(second, HOST, ['unit file', 'svc'], 'ok', 'stop, run 2');
});

test.run();
