import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Deferred } from '../../lib/engine/deferred.js';
import { executeActions } from '../../lib/engine/run-op.js';
import { serviceOp } from '../../lib/ops/service.js';
import { parseUnitName, systemdUnitOp, type SystemdUnitArgs } from '../../lib/ops/systemd-unit.js';
import type { Transport } from '../../lib/transport/types.js';
import { opTable, probedFile, sections } from '../support/op-harness.js';
import { tmpDir } from '../support/tmp.js';

const UNIT = '[Unit]\nDescription=app\n\n[Service]\nExecStart=/usr/bin/app\n\n[Install]\nWantedBy=multi-user.target\n';
const local = tmpDir('ss-unit-spec-');
writeFileSync(join(local.dir, 'app.service'), UNIT);
writeFileSync(join(local.dir, 'app.service.mustache'), '[Service]\nExecStart={{bin}} --port {{port}}\n');
test.after(() => local.cleanup());

const file = (content?: string) => (content === undefined ? probedFile('absent') : probedFile('file 644 root root 0 0', content));
/** Probe output: systemd (or not), the file, the unit's state. */
const probed = (o: { content?: string; active?: string; enabled?: string; reload?: string; init?: string; dir?: boolean }) => sections(
  `::shipshape::init\n${o.init ?? 'systemd'}\n::shipshape::file\n${file(o.content)}` +
  (o.dir === undefined ? '' : `::shipshape::dir\n${o.dir ? 'yes' : 'no'}\n`) +
  ((o.init ?? 'systemd') === 'systemd' ? `::shipshape::unit\nactive=${o.active ?? 'inactive'}\nenabled=${o.enabled ?? ''}\nreload=${o.reload ?? 'no'}\n` : ''),
);
const RELOAD = { kind: 'defer' as const, key: 'daemon-reload' as const, command: 'systemctl daemon-reload' };
const ctl = (verb: string, unit = 'app.service') => ({ kind: 'exec' as const, command: `systemctl ${verb} ${unit}`, after: ['daemon-reload' as const] });
const app = (o: Partial<SystemdUnitArgs> = {}): SystemdUnitArgs => ({ name: 'app.service', content: UNIT, ...o });

opTable<SystemdUnitArgs>(systemdUnitOp, [
  {
    name: 'writes a new unit, defers the daemon-reload, enables and starts it after the reload',
    args: app({ enabled: true, state: 'started' }),
    probed: probed({}),
    expect: {
      probe: ['[ -d /run/systemd/system ]', 'sha256sum < /etc/systemd/system/app.service', 'systemctl is-active app.service', 'systemctl is-enabled app.service', 'NeedDaemonReload'],
      changes: [
        { what: 'content', before: 'absent', content: { path: '/etc/systemd/system/app.service', before: '', after: UNIT } },
        { what: 'enabled', before: 'not-found', after: 'true' },
        { what: 'state', before: 'stopped', after: 'started' },
      ],
      actions: [{ kind: 'put', path: '/etc/systemd/system/app.service', data: UNIT, mode: 0o644 }, RELOAD, ctl('--no-reload enable'), ctl('start')],
    },
  },
  {
    name: 'does nothing when the unit is written, enabled and running',
    args: app({ enabled: true, state: 'started' }),
    probed: probed({ content: UNIT, active: 'active', enabled: 'enabled' }),
    expect: { changes: [], noop: '/etc/systemd/system/app.service is as given, app.service running, enabled (enabled)' },
  },
  {
    name: 'started: a changed unit of a running service is written and reloaded, not restarted (as Ansible)',
    args: app({ state: 'started' }),
    probed: probed({ content: UNIT.replace('/usr/bin/app', '/usr/bin/old'), active: 'active', enabled: 'enabled' }),
    expect: {
      changes: [{ what: 'content', content: { before: UNIT.replace('/usr/bin/app', '/usr/bin/old'), after: UNIT } }],
      actions: [{ kind: 'put', path: '/etc/systemd/system/app.service', owner: '0', group: '0' }, RELOAD],
    },
  },
  {
    name: 'restarted: a changed unit of a running service restarts it after the reload',
    args: app({ state: 'restarted' }),
    probed: probed({ content: 'old\n', active: 'active', enabled: 'enabled' }),
    expect: { changes: [{ what: 'content' }, { what: 'state', before: 'running', after: 'restarted' }], actions: [{ kind: 'put' }, RELOAD, ctl('restart')] },
  },
  {
    name: 'restarted: nothing when the unit did not change (unlike service)',
    args: app({ state: 'restarted' }),
    probed: probed({ content: UNIT, active: 'active', enabled: 'enabled' }),
    expect: { changes: [], noop: /app.service running/ },
  },
  {
    name: 'restarted: a stopped unit is started',
    args: app({ state: 'restarted' }),
    probed: probed({ content: UNIT, active: 'failed', enabled: 'enabled' }),
    expect: { changes: [{ what: 'state', before: 'stopped', after: 'started' }], actions: [ctl('start')] },
  },
  {
    name: 'reloaded: a changed unit of a running service is reloaded',
    args: app({ state: 'reloaded' }),
    probed: probed({ content: 'old\n', active: 'active' }),
    expect: { changes: [{ what: 'content' }, { what: 'state', after: 'reloaded' }], actions: [{ kind: 'put' }, RELOAD, ctl('reload')] },
  },
  {
    name: 'a unit file changed on disk but not loaded (an interrupted run) gets its daemon-reload and restart',
    args: app({ state: 'restarted' }),
    probed: probed({ content: UNIT, active: 'active', enabled: 'enabled', reload: 'yes' }),
    expect: { changes: [{ what: 'daemon-reload', before: 'unit files changed on disk' }, { what: 'state', after: 'restarted' }], actions: [RELOAD, ctl('restart')] },
  },
  {
    name: 'stops and disables a unit',
    args: app({ state: 'stopped', enabled: false }),
    probed: probed({ content: UNIT, active: 'active', enabled: 'enabled' }),
    expect: { changes: [{ what: 'enabled', before: 'enabled', after: 'false' }, { what: 'state', before: 'running', after: 'stopped' }], actions: [ctl('--no-reload disable'), ctl('stop')] },
  },
  {
    name: 'a static unit (no [Install]) counts as enabled',
    args: app({ enabled: true }),
    probed: probed({ content: UNIT, enabled: 'static' }),
    expect: { changes: [], noop: /enabled \(static\)/ },
  },
  {
    name: 'a timer is enabled and started as itself',
    args: { name: 'report.timer', content: '[Timer]\nOnCalendar=*:0/15\n\n[Install]\nWantedBy=timers.target\n', enabled: true, state: 'started' },
    probed: probed({}),
    expect: { changes: [{ what: 'content' }, { what: 'enabled' }, { what: 'state' }], actions: [{ kind: 'put', path: '/etc/systemd/system/report.timer' }, RELOAD, ctl('--no-reload enable', 'report.timer'), ctl('start', 'report.timer')] },
  },
  {
    name: 'a drop-in creates its folder and restarts the unit it belongs to',
    args: { name: 'nginx.service.d/override.conf', content: '[Service]\nLimitNOFILE=65536\n', state: 'restarted' },
    probed: probed({ dir: false, active: 'active', enabled: 'enabled' }),
    expect: {
      probe: ["[ -d /etc/systemd/system/nginx.service.d ]", 'systemctl is-active nginx.service'],
      changes: [{ what: 'content', content: { path: '/etc/systemd/system/nginx.service.d/override.conf' } }, { what: 'state', after: 'restarted' }],
      actions: [{ kind: 'exec', command: 'mkdir -p -m 0755 -- /etc/systemd/system/nginx.service.d' }, { kind: 'put', path: '/etc/systemd/system/nginx.service.d/override.conf' }, RELOAD, ctl('restart', 'nginx.service')],
    },
  },
  {
    name: 'a drop-in whose folder exists is just written',
    args: { name: 'nginx.service.d/override.conf', content: '[Service]\nLimitNOFILE=65536\n' },
    probed: probed({ dir: true }),
    expect: { changes: [{ what: 'content' }], actions: [{ kind: 'put' }, RELOAD] },
  },
  {
    name: 'copies a local file as the unit',
    args: { name: 'app.service', src: 'app.service' },
    baseDir: local.dir,
    probed: probed({}),
    expect: { changes: [{ what: 'content' }], actions: [{ kind: 'put', data: UNIT }, RELOAD] },
  },
  {
    name: 'renders a template with vars and host variables',
    args: { name: 'app.service', template: 'app.service.mustache', vars: { port: 5000 } },
    baseDir: local.dir,
    vars: { bin: '/opt/app/bin/app' },
    facts: { vars: { bin: '/opt/app/bin/app' } },
    probed: probed({}),
    expect: { changes: [{ what: 'content' }], actions: [{ kind: 'put', data: '[Service]\nExecStart=/opt/app/bin/app --port 5000\n' }, RELOAD] },
  },
  {
    name: 'check mode reports the file, enable and start of a new unit',
    args: app({ enabled: true, state: 'started' }),
    check: true,
    probed: probed({}),
    expect: { changes: [{ what: 'content' }, { what: 'enabled' }, { what: 'state' }], actions: [] },
  },
  {
    name: 'fails clearly on a host without systemd',
    args: app({ state: 'started' }),
    probed: probed({ init: 'none' }),
    expect: { throws: /^systemdUnit app\.service: host web-01 does not run systemd \(no \/run\/systemd\/system\)$/ },
  },
  {
    name: 'refuses to enable a masked unit',
    args: app({ enabled: true }),
    probed: probed({ content: UNIT, enabled: 'masked' }),
    expect: { throws: /app.service is masked, so it cannot be enabled/ },
  },
  { name: 'rejects an unknown suffix', args: app({ name: 'app.conf' }), expect: { problems: [/^unit name "app.conf" is not a systemd unit file name/] } },
  { name: 'rejects a path', args: app({ name: '../etc/passwd' }), expect: { problems: [/^unit name "..\/etc\/passwd"/] } },
  { name: 'rejects a drop-in not ending in .conf', args: app({ name: 'nginx.service.d/override' }), expect: { problems: [/^unit name "nginx.service.d\/override"/] } },
  { name: 'rejects a name with a space', args: app({ name: 'my app.service' }), expect: { problems: [/^unit name "my app.service"/] } },
  { name: 'accepts a template unit without state', args: app({ name: 'worker@.service' }), expect: { problems: [] } },
  { name: 'rejects starting a template unit', args: app({ name: 'worker@.service', state: 'started' }), expect: { problems: [/^worker@.service is a template unit: .*service\('worker@NAME.service'\)/] } },
  { name: 'rejects no text', args: { name: 'app.service' }, expect: { problems: ['systemdUnit app.service needs its text: give one of content, src or template'] } },
  { name: 'rejects two texts', args: app({ src: 'app.service' }), baseDir: local.dir, expect: { problems: ['systemdUnit app.service gives content and src: give only one of content, src or template'] } },
  { name: 'rejects vars without a template', args: app({ vars: { a: 1 } }), expect: { problems: [/^vars go with template/] } },
  { name: 'rejects a missing src', args: { name: 'app.service', src: 'nope.service' }, baseDir: local.dir, expect: { problems: [/^src "nope.service" does not exist/] } },
  { name: 'rejects a template variable nothing gives', args: { name: 'app.service', template: { inline: 'ExecStart={{bin}}\n' } }, expect: { problems: [/uses \{\{bin\}\} \(line 1\), which no variable gives/] } },
  { name: 'rejects an unknown state', args: app({ state: 'running' as never }), expect: { problems: ['state "running" is not one of started, stopped, restarted, reloaded'] } },
]);

test('parseUnitName knows units, instances and drop-ins', () => {
  assert.equal(parseUnitName('worker@1.service'), { unit: 'worker@1.service', path: '/etc/systemd/system/worker@1.service' });
  assert.equal(parseUnitName('app.timer.d/10-every-hour.conf')?.unit, 'app.timer');
  assert.is(parseUnitName('a/b/c.conf'), undefined);
  assert.is(parseUnitName('x'.repeat(250) + '.service'), undefined);
});

/** Records commands; every one succeeds. */
function recorder(): { t: Transport; commands: string[] } {
  const commands: string[] = [];
  const t = {
    exec: async (command: string) => { commands.push(command); return { code: 0, stdout: '', stderr: '' }; },
    put: async (path: string) => { commands.push(`put ${path}`); },
    close: async () => undefined,
  } as unknown as Transport;
  return { t, commands };
}

test('three changed units in a row, the timer enabled and started: one daemon-reload, before the enable', async () => {
  const { t, commands } = recorder();
  const d = new Deferred();
  const run = async (a: SystemdUnitArgs, p: string) => {
    const diff = await systemdUnitOp.diff(a, { stdout: p, code: 0 }, { host: 'web-01', facts: {} as never, baseDir: '.', check: false });
    await executeActions(systemdUnitOp.apply(a, diff, {} as never), t, undefined, { host: 'web-01', task: a.name }, undefined, d);
  };
  await run({ name: 'report.service', content: '[Service]\nType=oneshot\nExecStart=/bin/true\n' }, probed({}));
  await run({ name: 'app.service.d/env.conf', content: '[Service]\nEnvironment=A=1\n' }, probed({ dir: true }));
  await run({ name: 'report.timer', content: '[Timer]\nOnCalendar=hourly\n[Install]\nWantedBy=timers.target\n', enabled: true, state: 'started' }, probed({}));
  assert.equal(commands, [
    'put /etc/systemd/system/report.service', 'put /etc/systemd/system/app.service.d/env.conf', 'put /etc/systemd/system/report.timer',
    'systemctl daemon-reload', 'systemctl --no-reload enable report.timer', 'systemctl start report.timer',
  ]);
  assert.is(d.size, 0);
});

test('a service task after a changed unit runs the pending daemon-reload first; sysvinit commands do not', async () => {
  const { t, commands } = recorder();
  const d = new Deferred();
  d.add('daemon-reload', 'systemctl daemon-reload', { host: 'web-01' });
  const sysd = sections('::shipshape::service\ninit=systemd\nload=loaded\nactive=active\nenabled=enabled\n');
  const diff = await serviceOp.diff({ name: 'app', state: 'restarted' }, { stdout: sysd, code: 0 }, { host: 'web-01', facts: {} as never, baseDir: '.', check: false });
  await executeActions(serviceOp.apply({ name: 'app', state: 'restarted' }, diff, {} as never), t, undefined, { host: 'web-01' }, undefined, d);
  assert.equal(commands, ['systemctl daemon-reload', 'systemctl restart app']);
  const sysv = sections('::shipshape::service\ninit=sysvinit\nscript=yes\nstatus=0\npid=yes\nenabled=yes\nlinks=yes\n');
  d.add('daemon-reload', 'systemctl daemon-reload', { host: 'web-01' });
  const diff2 = await serviceOp.diff({ name: 'app', state: 'restarted' }, { stdout: sysv, code: 0 }, { host: 'web-01', facts: {} as never, baseDir: '.', check: false });
  assert.equal(serviceOp.apply({ name: 'app', state: 'restarted' }, diff2, {} as never), [{ kind: 'exec', command: 'service app restart' }]);
});

test.run();
