import { test } from 'uvu';
import { serviceOp, type ServiceArgs } from '../../lib/ops/service.js';
import { opTable, sections } from '../support/op-harness.js';

const S = '::shipshape::service\n';
// systemd: what systemctl show -p LoadState -p ActiveState -p NeedDaemonReload and is-enabled print for a unit.
const systemd = (load: string, active: string, enabled: string) => sections(`${S}init=systemd\nLoadState=${load}\nActiveState=${active}\nNeedDaemonReload=no\nenabled=${enabled}\n`);
// sysvinit: as the probe printed it on this (non-systemd) machine for dbus, procps, x11-common.
const sysv = (o: { script?: boolean; status?: string; pid?: boolean; enabled?: boolean; links?: boolean }) =>
  sections(`${S}init=sysvinit\n${o.script === false ? 'script=no\n' : `script=yes\nstatus=${o.status ?? '3'}\n`}pid=${o.pid ? 'yes' : 'no'}\nenabled=${o.enabled ? 'yes' : 'no'}\nlinks=${o.links ? 'yes' : 'no'}\n`);

opTable<ServiceArgs>(serviceOp, [
  {
    name: 'systemd: enables and starts a stopped, disabled unit',
    args: { name: 'nginx', state: 'started', enabled: true },
    probed: systemd('loaded', 'inactive', 'disabled'),
    expect: {
      probe: ['if [ -d /run/systemd/system ]; then echo init=systemd', 'systemctl show -p LoadState -p ActiveState -p NeedDaemonReload -- nginx', 'systemctl is-enabled -- nginx', 'service nginx status', '/etc/rc[2-5].d/S??nginx'],
      changes: [{ what: 'enabled', before: 'disabled', after: 'true' }, { what: 'state', before: 'stopped', after: 'started' }],
      actions: [{ kind: 'exec', command: 'systemctl --no-reload enable nginx' }, { kind: 'exec', command: 'systemctl start nginx' }],
    },
  },
  {
    name: 'systemd: a unit whose file changed on disk is reloaded into systemd before the restart',
    args: { name: 'app', state: 'restarted' },
    probed: sections(`${S}init=systemd\nLoadState=loaded\nActiveState=active\nNeedDaemonReload=yes\nenabled=enabled\n`),
    expect: {
      probe: ['systemctl show -p LoadState -p ActiveState -p NeedDaemonReload -- app'],
      changes: [{ what: 'state', before: 'running', after: 'restarted' }],
      actions: [{ kind: 'defer', key: 'daemon-reload', command: 'systemctl daemon-reload' }, { kind: 'exec', command: 'systemctl restart app', after: ['daemon-reload'] }],
    },
  },
  {
    name: 'systemd: no reload when the unit needs none or nothing is to be done',
    args: { name: 'app', state: 'started' },
    probed: sections(`${S}init=systemd\nLoadState=loaded\nActiveState=active\nNeedDaemonReload=yes\nenabled=enabled\n`),
    expect: { changes: [], actions: [] },
  },
  {
    name: 'systemd: does nothing when nginx is running and enabled',
    args: { name: 'nginx', state: 'started', enabled: true },
    probed: systemd('loaded', 'active', 'enabled'),
    expect: { changes: [], noop: 'nginx is running and enabled (enabled) (systemd)' },
  },
  {
    name: 'systemd: counts a static unit as enabled',
    args: { name: 'systemd-journald', enabled: true },
    probed: systemd('loaded', 'active', 'static'),
    expect: { changes: [], noop: /enabled \(static\)/ },
  },
  {
    name: 'systemd: stops a running unit',
    args: { name: 'nginx', state: 'stopped' },
    probed: systemd('loaded', 'active', 'enabled'),
    expect: { changes: [{ what: 'state', before: 'running', after: 'stopped' }], actions: [{ kind: 'exec', command: 'systemctl stop nginx' }] },
  },
  {
    name: 'systemd: disables an enabled unit',
    args: { name: 'nginx', enabled: false },
    probed: systemd('loaded', 'active', 'enabled'),
    expect: { changes: [{ what: 'enabled', before: 'enabled', after: 'false' }], actions: [{ kind: 'exec', command: 'systemctl --no-reload disable nginx' }] },
  },
  {
    name: 'systemd: restarted always restarts (meant for handlers)',
    args: { name: 'nginx', state: 'restarted' },
    probed: systemd('loaded', 'active', 'enabled'),
    expect: { changes: [{ what: 'state', before: 'running', after: 'restarted' }], actions: [{ kind: 'exec', command: 'systemctl restart nginx' }] },
  },
  {
    name: 'systemd: reloaded starts a stopped unit',
    args: { name: 'nginx', state: 'reloaded' },
    probed: systemd('loaded', 'failed', 'enabled'),
    expect: { changes: [{ what: 'state', before: 'stopped', after: 'reloaded' }], actions: [{ kind: 'exec', command: 'systemctl start nginx' }] },
  },
  {
    name: 'systemd: refuses to enable a masked unit',
    args: { name: 'nginx', enabled: true },
    probed: systemd('masked', 'inactive', 'masked'),
    expect: { throws: /service nginx is masked, so it cannot be enabled/ },
  },
  {
    name: 'systemd: fails for a unit that does not exist',
    args: { name: 'nginx', state: 'started' },
    probed: systemd('not-found', 'inactive', ''),
    expect: { throws: /service nginx is not installed \(systemd knows no such unit\)/ },
  },
  {
    name: 'check mode reports a service that an earlier task would install',
    args: { name: 'nginx', state: 'started', enabled: true },
    check: true,
    probed: sysv({ script: false }),
    expect: { changes: [{ what: 'enabled', before: 'not installed', after: 'true' }, { what: 'state', before: 'not installed', after: 'started' }] },
  },
  {
    name: 'sysvinit: creates rc links with defaults and starts nginx',
    args: { name: 'nginx', state: 'started', enabled: true },
    probed: sysv({ status: '3' }),
    expect: {
      changes: [{ what: 'enabled', before: 'no', after: 'true' }, { what: 'state', before: 'stopped', after: 'started' }],
      actions: [{ kind: 'exec', command: 'update-rc.d nginx defaults' }, { kind: 'exec', command: 'service nginx start' }],
    },
  },
  {
    name: 'sysvinit: re-enables a service whose links were disabled',
    args: { name: 'nginx', enabled: true },
    probed: sysv({ status: '0', links: true }),
    expect: { actions: [{ kind: 'exec', command: 'update-rc.d nginx enable' }], changes: [{ what: 'enabled' }] },
  },
  {
    name: 'sysvinit: does nothing when the service runs and has S links',
    args: { name: 'dbus', state: 'started', enabled: true },
    probed: sysv({ status: '0', enabled: true, links: true }),
    expect: { changes: [], noop: 'dbus is running and enabled (yes) (sysvinit)' },
  },
  {
    name: 'sysvinit: falls back to pidof when the script has no status (exit 4)',
    args: { name: 'x11-common', state: 'started' },
    probed: sysv({ status: '4', pid: true }),
    expect: { changes: [], noop: /is running/ },
  },
  {
    name: 'sysvinit: does not trust a silent exit 0 (procps) and starts it when no process runs',
    args: { name: 'procps', state: 'started' },
    probed: sysv({ status: 'silent', pid: false }),
    expect: { changes: [{ what: 'state', before: 'stopped', after: 'started' }], actions: [{ kind: 'exec', command: 'service procps start' }] },
  },
  {
    name: "sysvinit: reloads supervisor as the seed's handler does",
    args: { name: 'supervisor', state: 'reloaded', enabled: true },
    probed: sysv({ status: '0', enabled: true, links: true }),
    expect: { changes: [{ what: 'state', before: 'running', after: 'reloaded' }], actions: [{ kind: 'exec', command: 'service supervisor reload' }] },
  },
  {
    name: 'sysvinit: disables and stops',
    args: { name: 'nginx', state: 'stopped', enabled: false },
    probed: sysv({ status: '0', enabled: true, links: true }),
    expect: { actions: [{ kind: 'exec', command: 'update-rc.d nginx disable' }, { kind: 'exec', command: 'service nginx stop' }], changes: [{ what: 'enabled' }, { what: 'state' }] },
  },
  {
    name: 'sysvinit: fails for a service without an init script',
    args: { name: 'nginx', state: 'started' },
    probed: sysv({ script: false }),
    expect: { throws: /service nginx is not installed \(no \/etc\/init.d\/nginx\)/ },
  },
  { name: 'rejects a service name with shell syntax', args: { name: 'nginx; reboot', state: 'started' }, expect: { problems: ['service name "nginx; reboot" is not a valid service name (letters, digits and @ . _ + : -)'] } },
  { name: 'rejects an unknown state', args: { name: 'nginx', state: 'running' as never }, expect: { problems: ['state "running" is not one of started, stopped, restarted, reloaded'] } },
  { name: 'rejects a service call with neither state nor enabled', args: { name: 'nginx' }, expect: { problems: ['service nginx needs a state or enabled (or both)'] } },
]);

test.run();
