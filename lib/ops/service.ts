import { ShipshapeError } from '../errors.js';
import { argv, quote } from '../transport/quote.js';
import { oneOfProblem, section, splitSections } from './common.js';
import type { Action, Change, OpSpec } from './types.js';

export interface ServiceArgs {
  /** The service: a systemd unit (`nginx`, `nginx.service`) or an /etc/init.d script. */
  name: string;
  /**
   * `started` and `stopped` change only what differs. `restarted` and `reloaded` act (and
   * count as changed) on every run, as in Ansible: they are meant for handlers. `reloaded`
   * starts a stopped service.
   */
  state?: 'started' | 'stopped' | 'restarted' | 'reloaded';
  /** Started at boot: `systemctl enable|disable`, or `update-rc.d` links on sysvinit. */
  enabled?: boolean;
}

const NAME = /^[A-Za-z0-9_][A-Za-z0-9@._+:-]*$/;
// systemctl is-enabled answers that mean "starts at boot, nothing to enable".
const ENABLED = ['enabled', 'enabled-runtime', 'static', 'alias', 'indirect', 'generated', 'linked', 'linked-runtime'];

/** `systemctl show` property names, as the probe's keys. */
const SHOWN: Record<string, string> = { LoadState: 'load', ActiveState: 'active', NeedDaemonReload: 'reload' };

interface ServiceState {
  init: 'systemd' | 'sysvinit';
  exists: boolean;
  running: boolean;
  enabled: boolean;
  /** systemd's is-enabled word, or `yes`/`no` for sysvinit links. */
  enabledWord: string;
  /** sysvinit: some rc?.d link exists, so `update-rc.d enable` works (else `defaults`). */
  links: boolean;
  /** systemd: the unit's file changed on disk since systemd loaded it (NeedDaemonReload). */
  needsReload?: boolean;
}

/**
 * Parses the probe's `key=value` lines into one state for systemd and sysvinit alike.
 *
 * @example
 * parseService('::shipshape::service\naW5pdD1zeXN0ZW1kCmxvYWQ9bG9hZGVkCmFjdGl2ZT1hY3RpdmUKZW5hYmxlZD1lbmFibGVkCg==\n').running   // true (init=systemd, active=active, ...)
 */
export function parseService(stdout: string): ServiceState {
  const kv = new Map<string, string>();
  for (const line of (splitSections(stdout).service ?? '').split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) kv.set(SHOWN[line.slice(0, i)] ?? line.slice(0, i), line.slice(i + 1).trim());
  }
  if (kv.get('init') === 'systemd') {
    const load = kv.get('load') ?? '';
    const en = kv.get('enabled') ?? '';
    return {
      init: 'systemd', exists: load !== '' && load !== 'not-found',
      running: ['active', 'reloading', 'activating'].includes(kv.get('active') ?? ''),
      enabled: ENABLED.includes(en), enabledWord: en || 'unknown', links: true, needsReload: kv.get('reload') === 'yes',
    };
  }
  const status = kv.get('status') ?? '';
  // LSB: 0 running, 1-3 not running. 4 (unknown), a usage message, or a silent 0 (procps):
  // the script has no real status, so look for a process of that name.
  const running = status === '0' ? true : ['1', '2', '3'].includes(status) ? false : kv.get('pid') === 'yes';
  return {
    init: 'sysvinit', exists: kv.get('script') === 'yes', running,
    enabled: kv.get('enabled') === 'yes', enabledWord: kv.get('enabled') ?? 'no', links: kv.get('links') === 'yes',
  };
}

/**
 * A service's run state and start at boot, on systemd or sysvinit (detected on the host by
 * `/run/systemd/system`, not taken from facts).
 *
 * @example
 * host('web-01').service('nginx', { state: 'started', enabled: true })
 */
export const serviceOp: OpSpec<ServiceArgs> = {
  kind: 'service',
  keys: { name: 'string', state: 'string', enabled: 'boolean' },
  describe: (a) => `service ${a.name}${a.state ? ` ${a.state}` : ''}${a.enabled === undefined ? '' : a.enabled ? ' enabled' : ' disabled'}`,

  validate(a) {
    const problems: string[] = [];
    if (typeof a.name !== 'string' || !NAME.test(a.name)) problems.push(`service name ${JSON.stringify(a.name)} is not a valid service name (letters, digits and @ . _ + : -)`);
    const st = oneOfProblem('state', a.state, ['started', 'stopped', 'restarted', 'reloaded']);
    if (st) problems.push(st);
    if (a.enabled !== undefined && typeof a.enabled !== 'boolean') problems.push(`enabled ${JSON.stringify(a.enabled)} must be true or false`);
    if (a.state === undefined && a.enabled === undefined) problems.push(`service ${a.name} needs a state or enabled (or both)`);
    return problems;
  },

  probe(a) {
    const n = quote(a.name);
    return section('service', [
      'if [ -d /run/systemd/system ]; then echo init=systemd',
      // One call for three properties (LoadState=, ActiveState=, NeedDaemonReload= lines). Not
      // UnitFileState: after `systemctl --no-reload disable` the manager still shows the old
      // one, while is-enabled reads the unit files.
      `systemctl show -p LoadState -p ActiveState -p NeedDaemonReload -- ${n} 2>/dev/null`,
      `echo "enabled=$(systemctl is-enabled -- ${n} 2>/dev/null)"`,
      'else echo init=sysvinit',
      `if [ -x /etc/init.d/${n} ]; then echo script=yes; out=$(service ${n} status 2>&1 </dev/null); rc=$?; ` +
        `case "$out" in *[Uu]sage*) rc=usage;; '') [ $rc = 0 ] && rc=silent;; esac; echo "status=$rc"; else echo script=no; fi`,
      `if pidof ${n} >/dev/null 2>&1; then echo pid=yes; else echo pid=no; fi`,
      `e=no; for f in /etc/rc[2-5].d/S??${n}; do [ -e "$f" ] && e=yes; done; echo "enabled=$e"`,
      `l=no; for f in /etc/rc[0-6S].d/[SK]??${n}; do [ -e "$f" ] && l=yes; done; echo "links=$l"`,
      'fi',
    ].join('\n'));
  },

  diff(a, probed, ctx) {
    const s = parseService(probed.stdout);
    const changes: Change[] = [];
    if (!s.exists) {
      if (!ctx.check) {
        throw new ShipshapeError(`service ${a.name} is not installed (${s.init === 'systemd' ? 'systemd knows no such unit' : `no /etc/init.d/${a.name}`})`, {
          host: ctx.host, fix: 'install the package that provides it first (apt)',
        });
      }
      // Check mode: an earlier task (not run) may install it.
      if (a.enabled) changes.push({ what: 'enabled', before: 'not installed', after: 'true' });
      if (a.state) changes.push({ what: 'state', before: 'not installed', after: a.state });
      return { changes, data: s };
    }
    if (a.enabled === true && s.init === 'systemd' && s.enabledWord === 'masked') {
      throw new ShipshapeError(`service ${a.name} is masked, so it cannot be enabled`, { host: ctx.host, fix: `systemctl unmask ${a.name}` });
    }
    const enabledNow = a.enabled === false && s.init === 'systemd' ? ['enabled', 'enabled-runtime'].includes(s.enabledWord) : s.enabled;
    if (a.enabled !== undefined && a.enabled !== enabledNow) changes.push({ what: 'enabled', before: s.enabledWord, after: String(a.enabled) });
    const now = s.running ? 'running' : 'stopped';
    if (a.state === 'started' && !s.running) changes.push({ what: 'state', before: now, after: 'started' });
    if (a.state === 'stopped' && s.running) changes.push({ what: 'state', before: now, after: 'stopped' });
    if (a.state === 'restarted' || a.state === 'reloaded') changes.push({ what: 'state', before: now, after: a.state });
    const parts = [
      a.state === 'started' ? 'running' : a.state === 'stopped' ? 'stopped' : '',
      a.enabled === undefined ? '' : a.enabled ? `enabled (${s.enabledWord})` : 'disabled',
    ].filter(Boolean);
    return { changes, data: s, noop: `${a.name} is ${parts.join(' and ')} (${s.init})` };
  },

  apply(a, diff) {
    const s = diff.data as ServiceState;
    const actions: Action[] = [];
    // A unit file a systemdUnit task changed is loaded (the host's one daemon-reload) before systemctl acts.
    const exec = (words: string[]) => actions.push(words[0] === 'systemctl' ? { kind: 'exec', command: argv(words), after: ['daemon-reload'] } : { kind: 'exec', command: argv(words) });
    const has = (w: string) => diff.changes.some((c) => c.what === w);
    // A unit file changed by another task (a template, a file): systemd loads it before acting, as Ansible's daemon_reload.
    if (s.needsReload && (has('enabled') || has('state'))) actions.push({ kind: 'defer', key: 'daemon-reload', command: 'systemctl daemon-reload', failure: 'systemctl daemon-reload failed' });
    if (has('enabled')) {
      if (s.init === 'systemd') exec(['systemctl', '--no-reload', a.enabled ? 'enable' : 'disable', a.name]);
      else exec(['update-rc.d', a.name, a.enabled ? (s.links ? 'enable' : 'defaults') : 'disable']);
    }
    if (has('state')) {
      const verb = a.state === 'started' ? 'start' : a.state === 'stopped' ? 'stop' : a.state === 'restarted' ? 'restart' : s.running ? 'reload' : 'start';
      exec(s.init === 'systemd' ? ['systemctl', verb, a.name] : ['service', a.name, verb]);
    }
    return actions;
  },
};
