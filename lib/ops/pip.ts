import { ShipshapeError } from '../errors.js';
import { argv, quote } from '../transport/quote.js';
import { absolutePathProblem, oneOfProblem, section, splitSections, trimSlashes } from './common.js';
import { installedProbe, parseInstalled } from './pip-installed.js';
import { normalizeName, parseRequirement, requirementsOf, satisfies, type Requirement } from './pip-requirements.js';
import type { Action, Change, Diff, OpSpec } from './types.js';

export interface PipArgs {
  /** The virtual environment (its `bin/python -m pip` is used). */
  venv: string;
  /**
   * A requirements file on the host. Installed when its sha256 differs from the one recorded
   * in `<venv>/.shipshape-requirements.sha256` after the last successful install, or when
   * one of its plain requirements is not satisfied.
   */
  requirements?: string;
  /** Requirement strings: `gunicorn`, `flask==3.0.0`, `requests>=2,<3`. */
  packages?: string[];
  /** `present` (default), `latest` (judged by `pip install --dry-run -U`), or `absent`. */
  state?: 'present' | 'latest' | 'absent';
  /** More pip install arguments (`--find-links`, ...); no index is hard-coded. */
  extraArgs?: string[];
}

const PIP = ['-m', 'pip'];
const QUIET = ['--disable-pip-version-check', '-q'];
// Summarises pip's JSON install report as name==version lines, with the venv's own python.
// The report goes to /dev/stdout, not `-`: pip colours `-` when FORCE_COLOR is set.
const REPORT = "import json,sys; r=json.load(sys.stdin); print('\\n'.join(i['metadata']['name']+'=='+i['metadata']['version'] for i in r.get('install',[])))";

const py = (a: PipArgs) => `${trimSlashes(a.venv)}/bin/python`;
const stampPath = (a: PipArgs) => `${trimSlashes(a.venv)}/.shipshape-requirements.sha256`;

interface PipData { install: string[]; requirements: boolean; uninstall: string[] }

/**
 * Python packages in a virtual environment, installed with its own pip. Compares what is
 * installed (read from the venv's site-packages, see {@link installedProbe}; PEP 503 names,
 * PEP 440 version specifiers) before installing anything.
 *
 * @example
 * host('web-01').pip({ venv: '/opt/webapp/venv', requirements: '/opt/webapp/requirements.txt' })
 */
export const pipOp: OpSpec<PipArgs> = {
  kind: 'pip',
  keys: { venv: 'string', requirements: 'string', packages: 'string[]', state: 'string', extraArgs: 'string[]' },
  describe: (a) => `pip ${[...(a.packages ?? []), ...(a.requirements ? [`-r ${a.requirements}`] : [])].join(' ')} in ${a.venv}${a.state && a.state !== 'present' ? ` (${a.state})` : ''}`,

  validate(a) {
    const problems: string[] = [];
    const vp = absolutePathProblem('venv', a.venv);
    if (vp) problems.push(vp);
    const st = oneOfProblem('state', a.state, ['present', 'latest', 'absent']);
    if (st) problems.push(st);
    if (a.requirements === undefined && (a.packages === undefined || a.packages.length === 0)) problems.push('give packages or a requirements file');
    if (a.requirements !== undefined) {
      const rp = absolutePathProblem('requirements', a.requirements);
      if (rp) problems.push(`${rp} (a file on the host; copy it there first)`);
      else if (a.requirements.includes('\\')) problems.push(`requirements ${JSON.stringify(a.requirements)} must not contain a backslash`);
      if (a.state === 'absent') problems.push("a requirements file goes with state 'present' or 'latest', not 'absent'");
    }
    if (a.packages !== undefined && !Array.isArray(a.packages)) problems.push(`packages ${JSON.stringify(a.packages)} must be a list of requirement strings`);
    for (const p of Array.isArray(a.packages) ? a.packages : []) {
      const r = typeof p === 'string' && !p.startsWith('-') ? parseRequirement(p) : undefined;
      if (!r) problems.push(`package ${JSON.stringify(p)} is not a requirement like name, name==1.0 or name>=1,<2`);
      else if (a.state === 'absent' && r.specifiers.length) problems.push(`package ${JSON.stringify(p)}: state 'absent' takes plain names`);
    }
    if (a.extraArgs !== undefined && !(Array.isArray(a.extraArgs) && a.extraArgs.every((x) => typeof x === 'string'))) problems.push(`extraArgs ${JSON.stringify(a.extraArgs)} must be a list of strings`);
    return problems;
  },

  probe(a) {
    const p = quote(py(a));
    const parts = [section('pip', installedProbe(trimSlashes(a.venv)))];
    if (a.requirements !== undefined) {
      const r = quote(a.requirements);
      // The file's text is printed as it is: the section's base64 keeps it from posing as another section.
      parts.push(section('req', `if [ -f ${r} ]; then sha256sum < ${r} | cut -d' ' -f1; cat ${r}; else echo missing; fi`));
      parts.push(section('stamp', `awk -v p=${r} 'substr($0, 67) == p { print substr($0, 1, 64) }' ${quote(stampPath(a))} 2>/dev/null`));
    }
    if (a.state === 'latest') {
      const dry = argv([py(a), ...PIP, 'install', '--dry-run', '--quiet', '--report', '/dev/stdout', '-U', '--disable-pip-version-check', ...(a.extraArgs ?? []), ...targets(a)]);
      parts.push(section('dry', `if [ -x ${p} ]; then ${dry} 2>/dev/null | ${p} -c ${quote(REPORT)} && echo ok; fi`));
    }
    return parts.join('; ');
  },

  // What the probe reads (the venv, the requirements file; the stamp is in the venv) and what
  // an install writes. `latest` asks the index, which no footprint covers. An install that
  // builds a package from source may run its setup code anywhere: writes outside the venv
  // are not tracked.
  footprint: (a) => (a.state === 'latest' ? undefined : [{ path: trimSlashes(a.venv), subtree: true }, ...(a.requirements !== undefined ? [{ path: a.requirements }] : [])]),
  groupable: false,

  diff(a, probed, ctx): Diff {
    const s = splitSections(probed.stdout);
    const state = a.state ?? 'present';
    const pkgs = (a.packages ?? []).map((p) => parseRequirement(p)!);
    const changes: Change[] = [];
    const data: PipData = { install: [], requirements: false, uninstall: [] };
    const listed = parseInstalled(s.pip ?? 'novenv');
    if (listed.kind !== 'listed') {
      if (!ctx.check) throw new ShipshapeError(`no usable virtual environment at ${a.venv} (${py(a)} with pip)`, { host: ctx.host, fix: 'create it first with venv' });
      for (const r of pkgs) changes.push({ what: `package ${r.name}`, before: 'no venv', after: state });
      if (a.requirements) changes.push({ what: 'requirements', before: 'no venv', after: a.requirements });
      return { changes, data };
    }
    const installed = listed.versions;
    if (state === 'absent') {
      for (const r of pkgs) if (installed.has(r.name)) { changes.push({ what: `package ${r.name}`, before: shown(installed, r.name), after: 'absent' }); data.uninstall.push(r.spec); }
      return { changes, data, noop: `${pkgs.map((r) => r.name).join(', ')} not installed` };
    }
    for (const r of pkgs) {
      if (!met(installed, r)) {
        changes.push({ what: `package ${r.name}`, before: shown(installed, r.name), after: r.specifiers.length ? r.spec : 'present' });
        data.install.push(r.spec);
      }
    }
    if (a.requirements !== undefined) {
      const c = requirementsChange(a, s, installed, ctx.check, ctx.host);
      if (c) { changes.push(c); data.requirements = true; }
    }
    if (state === 'latest') {
      const dry = (s.dry ?? '').trim().split('\n');
      if (dry[dry.length - 1] !== 'ok') return { changes: [...changes, { what: 'packages', after: 'latest' }], unknown: true, data: { ...data, install: pkgs.map((r) => r.spec), requirements: a.requirements !== undefined } };
      for (const line of dry.slice(0, -1)) {
        const [name = '', version] = line.split('==');
        const n = normalizeName(name);
        if (!n || changes.some((c) => c.what === `package ${n}`)) continue;
        changes.push({ what: `package ${n}`, before: shown(installed, n), after: version });
        const own = pkgs.find((r) => r.name === n);
        if (own) data.install.push(own.spec);
        else if (a.requirements !== undefined) data.requirements = true;
        else data.install.push(n);
      }
    }
    return { changes, data, noop: state === 'latest' ? 'nothing newer to install' : 'every requirement is satisfied' };
  },

  apply(a, diff): Action[] {
    const d = diff.data as PipData;
    const actions: Action[] = [];
    const up = a.state === 'latest' ? ['-U'] : [];
    if (d.uninstall.length) actions.push({ kind: 'exec', command: argv([py(a), ...PIP, 'uninstall', '-y', '--disable-pip-version-check', ...d.uninstall]) });
    if (d.install.length) actions.push({ kind: 'exec', command: argv([py(a), ...PIP, 'install', ...QUIET, ...up, ...(a.extraArgs ?? []), ...d.install]) });
    if (d.requirements && a.requirements !== undefined) {
      const r = quote(a.requirements), st = quote(stampPath(a));
      const install = argv([py(a), ...PIP, 'install', ...QUIET, ...up, ...(a.extraArgs ?? []), '-r', a.requirements]);
      // The stamp holds one `sha256  path` line per requirements file installed into this venv.
      const stamp = `sum=$(sha256sum < ${r} | cut -d' ' -f1) && { awk -v p=${r} 'substr($0, 67) != p' ${st} 2>/dev/null; printf '%s  %s\\n' "$sum" ${r}; } > ${st}.tmp && mv -f ${st}.tmp ${st}`;
      actions.push({ kind: 'exec', command: `${install} && ${stamp}` });
    }
    return actions;
  },
};

/** Installed, and every installed version of it (one, unless an uninstall was cut short) satisfies `r`. */
function met(installed: Map<string, string[]>, r: Requirement): boolean {
  const have = installed.get(r.name) ?? [];
  return have.length > 0 && have.every((v) => satisfies(v, r));
}

const shown = (installed: Map<string, string[]>, name: string) => installed.get(name)?.join(' and ') ?? 'absent';

function targets(a: PipArgs): string[] {
  return [...(a.packages ?? []), ...(a.requirements !== undefined ? ['-r', a.requirements] : [])];
}

/** The `requirements` change: the file is new or changed since the last install, or a requirement is not met. */
function requirementsChange(a: PipArgs, s: Record<string, string>, installed: Map<string, string[]>, check: boolean, host: string): Change | undefined {
  const [sha = '', ...lines] = (s.req ?? 'missing').split('\n');
  if (sha.trim() === 'missing') {
    if (!check) throw new ShipshapeError(`requirements file ${a.requirements} does not exist on the host`, { host, fix: 'copy it there first (copy or template)' });
    return { what: 'requirements', before: 'missing', after: a.requirements };
  }
  const stamp = (s.stamp ?? '').trim();
  if (stamp !== sha.trim()) return { what: 'requirements', before: stamp ? `sha256:${stamp.slice(0, 12)}` : 'never installed', after: `sha256:${sha.trim().slice(0, 12)}` };
  // A line with a marker that the listing does not satisfy may not apply here (another Python,
  // another platform): pip judged its marker when it installed this very file, so the stamp stands.
  const unmet = requirementsOf(lines.join('\n')).filter((r: Requirement) => !met(installed, r) && r.marker === undefined);
  if (unmet.length) return { what: 'requirements', before: `not met: ${unmet.map((r) => r.spec).join(', ')}`, after: a.requirements };
  return undefined;
}
