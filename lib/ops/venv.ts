import { argv, quote } from '../transport/quote.js';
import { validateAttrs } from './attrs.js';
import { absolutePathProblem, parseStat, section, splitSections, statProbe, trimSlashes } from './common.js';
import type { Action, Change, OpSpec } from './types.js';

export interface VenvArgs {
  /** Where the virtual environment lives on the host. */
  path: string;
  /** The interpreter that creates it: a name on PATH or a path (default `python3`). */
  python?: string;
  /** Let the venv see the system's site-packages; an existing venv is switched in place. */
  systemSitePackages?: boolean;
  /** Owner of the whole tree (`chown -R` after creating it). */
  owner?: string;
  group?: string;
}

/**
 * A Python virtual environment, created with `python3 -m venv` when `bin/activate` or
 * `bin/python` is missing. An existing venv is left as it is, except for its
 * include-system-site-packages setting and its owner.
 *
 * @example
 * host('web-01').venv('/opt/webapp/venv', { owner: 'vagrant', group: 'vagrant' })
 */
export const venvOp: OpSpec<VenvArgs> = {
  kind: 'venv',
  keys: { path: 'string', python: 'string', systemSitePackages: 'boolean', owner: 'string', group: 'string' },
  describe: (a) => `venv ${a.path}`,

  validate(a) {
    const problems = validateAttrs({ owner: a.owner, group: a.group });
    const p = absolutePathProblem('path', a.path);
    if (p) problems.push(p);
    if (a.python !== undefined && (typeof a.python !== 'string' || a.python.trim() === '' || /\s/.test(a.python))) {
      problems.push(`python ${JSON.stringify(a.python)} must be an interpreter name or path, like python3 or /usr/bin/python3.11`);
    }
    if (a.systemSitePackages !== undefined && typeof a.systemSitePackages !== 'boolean') problems.push(`systemSitePackages ${JSON.stringify(a.systemSitePackages)} must be true or false`);
    return problems;
  },

  probe(a) {
    const p = trimSlashes(a.path);
    return [
      section('venv', `if [ -f ${quote(`${p}/bin/activate`)} ] && [ -x ${quote(`${p}/bin/python`)} ]; then echo present; else echo absent; fi`),
      section('cfg', `sed -n 's/^include-system-site-packages *= *//p' ${quote(`${p}/pyvenv.cfg`)} 2>/dev/null`),
      section('stat', statProbe(p)),
    ].join('; ');
  },

  diff(a, probed) {
    const s = splitSections(probed.stdout);
    const changes: Change[] = [];
    if ((s.venv ?? '').trim() !== 'present') {
      changes.push({ what: 'state', before: 'absent', after: 'venv' });
      return { changes };
    }
    const system = (s.cfg ?? '').trim().toLowerCase() === 'true';
    if (a.systemSitePackages !== undefined && a.systemSitePackages !== system) {
      changes.push({ what: 'systemSitePackages', before: String(system), after: String(a.systemSitePackages) });
    }
    const st = parseStat((s.stat ?? '').split('\n')[0] ?? '');
    if (a.owner !== undefined && st.owner !== a.owner && String(st.uid) !== a.owner) changes.push({ what: 'owner', before: st.owner, after: a.owner });
    if (a.group !== undefined && st.group !== a.group && String(st.gid) !== a.group) changes.push({ what: 'group', before: st.group, after: a.group });
    return { changes, noop: `${a.path} is a virtual environment${a.owner ? ` owned by ${a.owner}` : ''}` };
  },

  apply(a, diff): Action[] {
    const has = (w: string) => diff.changes.some((c) => c.what === w);
    const actions: Action[] = [];
    const create = has('state') || has('systemSitePackages');
    // Re-running venv on an existing one rewrites pyvenv.cfg and keeps the installed packages.
    if (create) actions.push({ kind: 'exec', command: argv([a.python ?? 'python3', '-m', 'venv', ...(a.systemSitePackages ? ['--system-site-packages'] : []), a.path]) });
    if ((create || has('owner') || has('group')) && (a.owner !== undefined || a.group !== undefined)) {
      actions.push({ kind: 'exec', command: `chown -R ${quote(`${a.owner ?? ''}${a.group !== undefined ? ':' + a.group : ''}`)} ${quote(a.path)}` });
    }
    return actions;
  },
};
