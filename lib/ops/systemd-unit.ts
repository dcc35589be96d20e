/** systemdUnit: a unit file or drop-in under /etc/systemd/system, one daemon-reload per host, then enable/start. */
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { ShipshapeError } from '../errors.js';
import { isSecret } from '../secret.js';
import { argv, quote } from '../transport/quote.js';
import { oneOfProblem, section, splitSections } from './common.js';
import { contentProbe, fileActions, fileChanges, parseContentProbe, toBuffer, type PutData } from './content.js';
import { templateOp } from './template.js';
import type { Action, Change, OpContext, OpSpec } from './types.js';

export interface SystemdUnitArgs {
  /** The unit file's name: `webapp.service`, `backup.timer`, or a drop-in `nginx.service.d/override.conf`. */
  name: string;
  /** The unit file's text (give one of content, src, template). */
  content?: string;
  /** A local file copied as the unit, relative to the deploy file's folder. */
  src?: string;
  /** A mustache template (a file, or `{ inline: 'text' }`) rendered with `vars`, the host's variables and `facts`. */
  template?: string | { inline: string };
  vars?: Record<string, unknown>;
  /** Started at boot (`systemctl enable|disable`). For a drop-in: the unit it belongs to. */
  enabled?: boolean;
  /**
   * For a drop-in: the unit it belongs to.
   * - `started`: running; a running unit is NOT restarted when its file changed (as Ansible's
   *   systemd module): use `restarted`, or `notify` a handler, for the new unit to take effect.
   * - `restarted`: running, and restarted when its file changed (started when stopped). Unlike
   *   `service`'s, nothing happens on a run where the unit did not change.
   * - `reloaded`: running, and `systemctl reload`-ed when its file changed.
   * - `stopped`: not running.
   */
  state?: 'started' | 'stopped' | 'restarted' | 'reloaded';
}

const DIR = '/etc/systemd/system';
const SUFFIXES = ['service', 'socket', 'device', 'mount', 'automount', 'swap', 'target', 'path', 'timer', 'slice', 'scope'];
// systemd.unit(5): a prefix of [A-Za-z0-9:_.\-] (a template `name@.service`, an instance `name@x.service`), then a known suffix.
const UNIT = new RegExp(`^[A-Za-z0-9:_.\\\\-]+(?:@[A-Za-z0-9:_.\\\\-]*)?\\.(?:${SUFFIXES.join('|')})$`);
const DROPIN = /^[A-Za-z0-9:_.\\@-]+\.conf$/;
// is-enabled answers that mean "starts at boot, nothing to enable" (as service).
const ENABLED = ['enabled', 'enabled-runtime', 'static', 'alias', 'indirect', 'generated', 'linked', 'linked-runtime'];

interface UnitName { unit: string; path: string; dropIn?: string }

/**
 * The unit a name acts on and the file it writes; undefined when the name is not valid.
 *
 * @example
 * parseUnitName('nginx.service.d/override.conf')   // { unit: 'nginx.service', path: '/etc/systemd/system/nginx.service.d/override.conf', dropIn: 'override.conf' }
 */
export function parseUnitName(name: string): UnitName | undefined {
  if (typeof name !== 'string' || name.length > 255) return undefined;
  const parts = name.split('/');
  if (parts.length === 1 && UNIT.test(name)) return { unit: name, path: `${DIR}/${name}` };
  if (parts.length === 2 && parts[0]!.endsWith('.d') && UNIT.test(parts[0]!.slice(0, -2)) && DROPIN.test(parts[1]!)) {
    return { unit: parts[0]!.slice(0, -2), path: `${DIR}/${name}`, dropIn: parts[1] };
  }
  return undefined;
}

const isTemplateUnit = (unit: string) => /@\.[a-z]+$/.test(unit);
const sources = (a: SystemdUnitArgs) => (['content', 'src', 'template'] as const).filter((k) => a[k] !== undefined);

interface UnitState {
  systemd: boolean;
  active: string;
  enabledWord: string;
  needsReload: boolean;
  /** A drop-in's folder exists. */
  dir: boolean;
}

function parseUnitState(s: Record<string, string>): UnitState {
  const kv = new Map<string, string>();
  for (const line of (s.unit ?? '').split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) kv.set(line.slice(0, i), line.slice(i + 1).trim());
  }
  return {
    systemd: (s.init ?? '').trim() === 'systemd', active: kv.get('active') || 'inactive', enabledWord: kv.get('enabled') || 'not-found',
    needsReload: kv.get('reload') === 'yes', dir: (s.dir ?? 'yes').trim() === 'yes',
  };
}

interface UnitData { put?: PutData; reload: boolean; mkdir?: string; enable?: 'enable' | 'disable'; verb?: string }

/** The wanted file content, and whether it is secret. */
async function wanted(a: SystemdUnitArgs, path: string, fileSection: string, ctx: OpContext): Promise<{ content: Buffer; secret: boolean }> {
  if (a.content !== undefined) return { content: toBuffer(a.content), secret: isSecret(a.content) };
  if (a.src !== undefined) return { content: readFileSync(resolve(ctx.baseDir, a.src)), secret: false };
  // The template op renders (host variables, vars, facts; secrets revealed and marked).
  const d = await templateOp.diff({ src: a.template!, dest: path, vars: a.vars }, { stdout: fileSection, code: 0 }, ctx);
  return { content: (d.data as PutData).content, secret: d.changes.some((c) => c.content?.secret === true) };
}

/**
 * A systemd unit file (service, timer, socket, path, mount, ...) or drop-in
 * (`nginx.service.d/override.conf`, its folder created) written atomically under
 * /etc/systemd/system. When any unit changed, the host gets ONE `systemctl daemon-reload`:
 * before the first systemctl start/enable/restart that needs it (of a systemdUnit or service
 * task) or at the end of the host's tasks. Then the unit (a drop-in's: the unit it belongs to)
 * is enabled/disabled and started/stopped as asked; see `state` for what a changed unit does.
 *
 * @example
 * host('web-01').systemdUnit('webapp.service', { src: 'files/webapp.service', enabled: true, state: 'restarted' })
 */
export const systemdUnitOp: OpSpec<SystemdUnitArgs> = {
  kind: 'systemdUnit',
  keys: { name: 'string', content: 'content', src: 'string', template: 'template', vars: 'vars', enabled: 'boolean', state: 'string' },
  describe: (a) => `systemdUnit ${a.name}${a.state ? ` ${a.state}` : ''}${a.enabled === undefined ? '' : a.enabled ? ' enabled' : ' disabled'}`,

  validate(a, ctx) {
    const problems: string[] = [];
    const n = parseUnitName(a.name);
    if (!n) {
      problems.push(`unit name ${JSON.stringify(a.name)} is not a systemd unit file name: like webapp.service or backup.timer ` +
        `(letters, digits, : _ . - \\ and one @; suffix ${SUFFIXES.join(', ')}), or a drop-in like nginx.service.d/override.conf`);
    }
    const st = oneOfProblem('state', a.state, ['started', 'stopped', 'restarted', 'reloaded']);
    if (st) problems.push(st);
    if (a.enabled !== undefined && typeof a.enabled !== 'boolean') problems.push(`enabled ${JSON.stringify(a.enabled)} must be true or false`);
    if (n && isTemplateUnit(n.unit) && (a.state !== undefined || a.enabled !== undefined)) {
      problems.push(`${n.unit} is a template unit: it cannot be started or enabled itself; leave out state and enabled, and use service('${n.unit.replace('@.', '@NAME.')}') for an instance`);
    }
    const given = sources(a);
    if (given.length !== 1) {
      problems.push(given.length === 0 ? `systemdUnit ${a.name} needs its text: give one of content, src or template`
        : `systemdUnit ${a.name} gives ${given.join(' and ')}: give only one of content, src or template`);
      return problems;
    }
    if (a.vars !== undefined && a.template === undefined) problems.push('vars go with template: content and src are written as they are');
    if (a.content !== undefined && typeof a.content !== 'string' && !Buffer.isBuffer(a.content) && !isSecret(a.content)) problems.push('content must be the unit file\'s text');
    if (a.src !== undefined) {
      const local = resolve(ctx.baseDir, String(a.src));
      const s = statSync(local, { throwIfNoEntry: false });
      if (!s) problems.push(`src ${JSON.stringify(a.src)} does not exist (looked in ${local})`);
      else if (!s.isFile()) problems.push(`src ${JSON.stringify(a.src)} is not a regular file (${local})`);
    }
    if (a.template !== undefined) problems.push(...templateOp.validate({ src: a.template, dest: n?.path ?? `${DIR}/unit`, vars: a.vars }, ctx));
    return problems;
  },

  probe(a) {
    const n = parseUnitName(a.name)!;
    const u = quote(n.unit);
    return [
      section('init', 'if [ -d /run/systemd/system ]; then echo systemd; else echo none; fi'),
      section('file', contentProbe(n.path)),
      ...(n.dropIn ? [section('dir', `[ -d ${quote(`${DIR}/${n.unit}.d`)} ] && echo yes || echo no`)] : []),
      `if [ -d /run/systemd/system ]; then ${section('unit', [
        `echo "active=$(systemctl is-active ${u} 2>/dev/null)"`,
        `echo "enabled=$(systemctl is-enabled ${u} 2>/dev/null)"`,
        `echo "reload=$(systemctl show -p NeedDaemonReload --value ${u} 2>/dev/null)"`,
      ].join('\n'))}; fi`,
    ].join('; ');
  },

  async diff(a, probed, ctx) {
    const n = parseUnitName(a.name)!;
    const s = splitSections(probed.stdout);
    const u = parseUnitState(s);
    if (!u.systemd) {
      throw new ShipshapeError(`systemdUnit ${a.name}: host ${ctx.host} does not run systemd (no /run/systemd/system)`, {
        host: ctx.host, fix: 'write units only to hosts booted with systemd; on sysvinit use an /etc/init.d script and service',
      });
    }
    const want = await wanted(a, n.path, s.file ?? '', ctx);
    const state = parseContentProbe(s.file ?? '');
    const changes: Change[] = fileChanges(n.path, want.content, state, {}, ctx.host, want.secret);
    const written = changes.some((c) => c.what === 'content');
    if (!written && u.needsReload) changes.push({ what: 'daemon-reload', before: 'unit files changed on disk', after: 'reloaded' });
    const changedUnit = written || u.needsReload;
    const data: UnitData = { reload: changedUnit, put: written ? { path: n.path, content: want.content, state } : undefined };
    if (written && n.dropIn && !u.dir && state.stat.type === 'absent') data.mkdir = `${DIR}/${n.unit}.d`;

    if (a.enabled === true && u.enabledWord === 'masked') {
      throw new ShipshapeError(`${n.unit} is masked, so it cannot be enabled`, { host: ctx.host, fix: `systemctl unmask ${n.unit}` });
    }
    const enabledNow = a.enabled === false ? ['enabled', 'enabled-runtime'].includes(u.enabledWord) : ENABLED.includes(u.enabledWord);
    if (a.enabled !== undefined && a.enabled !== enabledNow) {
      changes.push({ what: 'enabled', before: u.enabledWord, after: String(a.enabled) });
      data.enable = a.enabled ? 'enable' : 'disable';
    }
    const running = ['active', 'reloading', 'activating'].includes(u.active);
    const now = running ? 'running' : 'stopped';
    if (a.state === 'stopped' && running) data.verb = 'stop';
    else if (a.state !== undefined && a.state !== 'stopped' && !running) data.verb = 'start';
    else if (running && changedUnit && a.state === 'restarted') data.verb = 'restart';
    else if (running && changedUnit && a.state === 'reloaded') data.verb = 'reload';
    if (data.verb) changes.push({ what: 'state', before: now, after: data.verb === 'start' ? 'started' : data.verb === 'stop' ? 'stopped' : a.state });
    const parts = [
      `${n.path} is as given`,
      a.state === undefined ? '' : a.state === 'stopped' ? `${n.unit} stopped` : `${n.unit} running`,
      a.enabled === undefined ? '' : a.enabled ? `enabled (${u.enabledWord})` : 'disabled',
    ].filter(Boolean);
    return { changes, data, noop: parts.join(', ') };
  },

  apply(a, diff) {
    const n = parseUnitName(a.name)!;
    const d = diff.data as UnitData;
    const actions: Action[] = [];
    if (d.mkdir) actions.push({ kind: 'exec', command: `mkdir -p -m 0755 -- ${quote(d.mkdir)}` });
    if (d.put) actions.push(...fileActions(d.put, {}, diff.changes));
    if (d.reload) actions.push({ kind: 'defer', key: 'daemon-reload', command: 'systemctl daemon-reload', failure: 'systemctl daemon-reload failed' });
    const systemctl = (...verb: string[]) => actions.push({ kind: 'exec', command: argv(['systemctl', ...verb, n.unit]), after: ['daemon-reload'] });
    // enable and disable reload systemd on their own unless told not to: the one daemon-reload covers them
    if (d.enable) systemctl('--no-reload', d.enable);
    if (d.verb) systemctl(d.verb);
    return actions;
  },
};
