import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { pipOp, type PipArgs } from '../../lib/ops/pip.js';
import { normalizeName, parseRequirement, requirementsOf, satisfies } from '../../lib/ops/pip-requirements.js';
import { opTable, sections, sha } from '../support/op-harness.js';

const M = '::shipshape::';
// As the probe printed for a fresh python3.11 venv holding a hand-built shipshape-demo 1.0 wheel:
// its site-packages folder names (`name==version` given here becomes `name-version.dist-info`).
const listing = (...extra: string[]) => ['pip==23.2.1', 'setuptools==65.5.0', ...extra].map((e) => `dist ${e.replace(/-/g, '_').replace('==', '-')}.dist-info\n`).join('');
const freeze = (...extra: string[]) => sections(`${M}pip\nlisting\n${listing(...extra)}`);
// The fallback's output: `pip list --format=freeze`, then its exit code.
const pipList = (...extra: string[]) => sections(`${M}pip\npip==23.2.1\nsetuptools==65.5.0\n${extra.map((e) => e + '\n').join('')}rc=0\n`);
const PY = '/opt/webapp/venv/bin/python';
const req = 'gunicorn\n# web server\nFlask_Cors>=4.0\n';
const reqProbe = (stamp: string) => sections(`${M}req\n${sha(req)}\n${req}${M}stamp\n${stamp}\n`);
const MARKED = 'gunicorn\npywin32>=300 ; sys_platform == "win32"\n';
const STAMP = `sum=$(sha256sum < /opt/webapp/requirements.txt | cut -d' ' -f1) && { awk -v p=/opt/webapp/requirements.txt 'substr($0, 67) != p' /opt/webapp/venv/.shipshape-requirements.sha256 2>/dev/null; printf '%s  %s\\n' "$sum" /opt/webapp/requirements.txt; } > /opt/webapp/venv/.shipshape-requirements.sha256.tmp && mv -f /opt/webapp/venv/.shipshape-requirements.sha256.tmp /opt/webapp/venv/.shipshape-requirements.sha256`;

opTable<PipArgs>(pipOp, [
  {
    name: 'installs the packages that are missing or do not match their pin',
    args: { venv: '/opt/webapp/venv', packages: ['gunicorn', 'shipshape_demo==1.1', 'setuptools'] },
    probed: freeze('shipshape-demo==1.0'),
    expect: {
      probe: ['v=/opt/webapp/venv; set -- "$v"/lib/python3*/site-packages', 'echo listing', `else "$v/bin/python" -m pip list --format=freeze --disable-pip-version-check`],
      changes: [{ what: 'package gunicorn', before: 'absent', after: 'present' }, { what: 'package shipshape-demo', before: '1.0', after: 'shipshape_demo==1.1' }],
      actions: [{ kind: 'exec', command: `${PY} -m pip install --disable-pip-version-check -q gunicorn shipshape_demo==1.1` }],
    },
  },
  {
    name: 'reads pip list when the venv could not be read from its folder names',
    args: { venv: '/opt/webapp/venv', packages: ['Shipshape.Demo==1.0.0', 'gunicorn'] },
    probed: pipList('shipshape-demo==1.0'),
    expect: { changes: [{ what: 'package gunicorn', before: 'absent', after: 'present' }] },
  },
  {
    name: 'reinstalls a package left twice in site-packages when one of its versions does not match',
    args: { venv: '/opt/webapp/venv', packages: ['shipshape-demo>=1.0'] },
    probed: sections(`${M}pip\nlisting\n${listing('shipshape-demo==1.0')}dist shipshape_demo-0.9.dist-info\n`),
    expect: { changes: [{ what: 'package shipshape-demo', before: '1.0 and 0.9', after: 'shipshape-demo>=1.0' }] },
  },
  {
    name: 'does nothing for a requirements line whose marker may not apply here when the file was installed as it is',
    args: { venv: '/opt/webapp/venv', requirements: '/opt/webapp/requirements.txt' },
    probed: freeze('gunicorn==21.2.0') + sections(`${M}req\n${sha(MARKED)}\n${MARKED}${M}stamp\n${sha(MARKED)}\n`),
    expect: { changes: [], noop: 'every requirement is satisfied' },
  },
  {
    name: 'fails when pip of the fallback fails',
    args: { venv: '/opt/webapp/venv', packages: ['gunicorn'] },
    probed: sections(`${M}pip\nrc=1\n`),
    expect: { throws: /no usable virtual environment at \/opt\/webapp\/venv/ },
  },
  { name: 'does nothing when every package is installed', args: { venv: '/opt/webapp/venv', packages: ['Shipshape.Demo>=1.0,<2', 'pip'] }, probed: freeze('shipshape-demo==1.0'), expect: { changes: [], noop: 'every requirement is satisfied' } },
  {
    name: 'installs a requirements file never installed and records its sha256',
    args: { venv: '/opt/webapp/venv', requirements: '/opt/webapp/requirements.txt', extraArgs: ['--find-links', '/srv/wheelhouse'] },
    probed: freeze('gunicorn==21.2.0', 'flask-cors==4.0.1') + reqProbe(''),
    expect: {
      changes: [{ what: 'requirements', before: 'never installed', after: `sha256:${sha(req).slice(0, 12)}` }],
      actions: [{ kind: 'exec', command: `${PY} -m pip install --disable-pip-version-check -q --find-links /srv/wheelhouse -r /opt/webapp/requirements.txt && ${STAMP}` }],
    },
  },
  { name: 'does nothing when the requirements file is unchanged and satisfied', args: { venv: '/opt/webapp/venv', requirements: '/opt/webapp/requirements.txt' }, probed: freeze('gunicorn==21.2.0', 'flask-cors==4.0.1') + reqProbe(sha(req)), expect: { changes: [], noop: 'every requirement is satisfied' } },
  {
    name: 'reinstalls requirements when one was uninstalled behind its back',
    args: { venv: '/opt/webapp/venv', requirements: '/opt/webapp/requirements.txt' },
    probed: freeze('gunicorn==21.2.0') + reqProbe(sha(req)),
    expect: { changes: [{ what: 'requirements', before: 'not met: Flask_Cors>=4.0', after: '/opt/webapp/requirements.txt' }], actions: [{ kind: 'exec' }] },
  },
  {
    name: 'fails when the requirements file is not on the host',
    args: { venv: '/opt/webapp/venv', requirements: '/opt/webapp/requirements.txt' },
    probed: freeze() + sections(`${M}req\nmissing\n${M}stamp\n`),
    expect: { throws: /requirements file \/opt\/webapp\/requirements.txt does not exist on the host/ },
  },
  { name: 'fails without a venv', args: { venv: '/tmp/none', packages: ['x'] }, probed: sections(`${M}pip\nnovenv\n`), expect: { throws: /no usable virtual environment at \/tmp\/none/ } },
  { name: 'check mode reports what a venv created earlier would get', args: { venv: '/tmp/none', packages: ['x'] }, check: true, probed: sections(`${M}pip\nnovenv\n`), expect: { changes: [{ what: 'package x', before: 'no venv', after: 'present' }] } },
  {
    name: 'upgrades what pip install --dry-run -U would install for latest',
    args: { venv: '/opt/webapp/venv', packages: ['shipshape-demo'], state: 'latest' },
    probed: freeze('shipshape-demo==1.0') + sections(`${M}dry\nshipshape-demo==1.1\nok\n`),
    expect: {
      probe: [`${PY} -m pip install --dry-run --quiet --report /dev/stdout -U --disable-pip-version-check shipshape-demo 2>/dev/null | ${PY} -c`],
      changes: [{ what: 'package shipshape-demo', before: '1.0', after: '1.1' }],
      actions: [{ kind: 'exec', command: `${PY} -m pip install --disable-pip-version-check -q -U shipshape-demo` }],
    },
  },
  { name: 'does nothing for latest when the dry run would install nothing', args: { venv: '/opt/webapp/venv', packages: ['shipshape-demo'], state: 'latest' }, probed: freeze('shipshape-demo==1.1') + sections(`${M}dry\n\nok\n`), expect: { changes: [], noop: 'nothing newer to install' } },
  {
    name: 'says it cannot know for latest when the dry run is not available (old pip)',
    args: { venv: '/opt/webapp/venv', packages: ['shipshape-demo'], state: 'latest' },
    probed: freeze('shipshape-demo==1.0') + sections(`${M}dry\n`),
    expect: { changes: [{ what: 'packages', after: 'latest' }], unknown: true, actions: [{ kind: 'exec', command: `${PY} -m pip install --disable-pip-version-check -q -U shipshape-demo` }] },
  },
  {
    name: 'uninstalls installed packages for absent',
    args: { venv: '/opt/webapp/venv', packages: ['shipshape-demo', 'gunicorn'], state: 'absent' },
    probed: freeze('shipshape-demo==1.0'),
    expect: { changes: [{ what: 'package shipshape-demo', before: '1.0', after: 'absent' }], actions: [{ kind: 'exec', command: `${PY} -m pip uninstall -y --disable-pip-version-check shipshape-demo` }] },
  },
  { name: 'rejects a relative requirements path', args: { venv: '/v', requirements: 'requirements.txt' }, expect: { problems: ['requirements "requirements.txt" must be an absolute path (a file on the host; copy it there first)'] } },
  { name: 'rejects a package that is not a requirement', args: { venv: '/v', packages: ['flask ==', '-e .'] }, expect: { problems: ['package "flask ==" is not a requirement like name, name==1.0 or name>=1,<2', 'package "-e ." is not a requirement like name, name==1.0 or name>=1,<2'] } },
  { name: 'rejects nothing to install', args: { venv: '/v' }, expect: { problems: ['give packages or a requirements file'] } },
  { name: 'rejects requirements with absent', args: { venv: '/v', requirements: '/r.txt', state: 'absent' }, expect: { problems: ["a requirements file goes with state 'present' or 'latest', not 'absent'"] } },
]);

test('normalizeName follows PEP 503', () => {
  assert.is(normalizeName('Flask_Cors'), 'flask-cors');
  assert.is(normalizeName('zope.interface'), 'zope-interface');
  assert.is(normalizeName('a__b--c'), 'a-b-c');
});

test('satisfies compares PEP 440 versions', () => {
  const ok = (v: string, spec: string) => satisfies(v, parseRequirement(`x${spec}`)!);
  assert.ok(ok('1.10', '>=1.9'));
  assert.ok(!ok('1.10', '<1.9'));
  assert.ok(ok('2.0', '==2'));
  assert.ok(ok('2.0.1', '==2.0.*'));
  assert.ok(!ok('2.1', '==2.0.*'));
  assert.ok(ok('1.4.5', '~=1.4.2'));
  assert.ok(!ok('1.5', '~=1.4.2'));
  assert.ok(ok('1.0rc1', '<1.0'));
  assert.ok(ok('1.0.post1', '>1.0'));
  assert.ok(ok('1.0.dev3', '<1.0a1'));
  assert.ok(ok('21.2.0', '>=20,<22,!=21.1'));
});

test('satisfies reads == as pip does: trailing zeros, spellings, local labels and prefixes', () => {
  const ok = (v: string, spec: string) => satisfies(v, parseRequirement(`x${spec}`)!);
  assert.ok(ok('1.0', '==1.0.0'));
  assert.ok(ok('1.0.0', '==1'));
  assert.ok(ok('1.0.0.0.0.0.0', '==1.0'));
  assert.ok(!ok('1.0.0.0.0.0.1', '==1.0.0.0.0.0.2'), 'every release part counts, however many');
  assert.ok(ok('1.0RC1', '==1.0rc1'));
  assert.ok(ok('1.0-1', '==1.0.post1'));
  assert.ok(ok('v2.0', '==2.0'));
  assert.ok(ok('1.0+cpu', '==1.0'), 'a pin without a local label ignores the installed one');
  assert.ok(ok('1.0+cpu', '==1.0+CPU'));
  assert.ok(!ok('1.0+cu118', '==1.0+cpu'));
  assert.ok(ok('1.0+cu118', '!=1.0+cpu'));
  assert.ok(ok('1.1rc1', '==1.1.*'));
  assert.ok(!ok('1.10', '==1.1.*'));
  assert.ok(ok('1!2.0', '>1.0'), 'the epoch comes first');
  assert.ok(ok('2.2.post3', '~=2.2.post3'));
  assert.ok(!ok('3.0', '~=2.2'));
});

test('requirementsOf skips comments, options, editables and URLs', () => {
  const rs = requirementsOf('# top\ngunicorn  # server\n-r other.txt\n--find-links /w\n-e git+https://x/y.git#egg=y\nhttps://x/z.whl\nflask[async]>=3 ; python_version >= "3.8"\nreq @ https://x/r.whl\n');
  assert.equal(rs.map((r) => r.name), ['gunicorn', 'flask', 'req']);
  assert.equal(rs[1]!.specifiers, [['>=', '3']]);
  assert.is(rs[1]!.marker, 'python_version >= "3.8"');
  assert.is(rs[0]!.marker, undefined);
  assert.is(parseRequirement('req @ https://x/r.whl ; sys_platform == "linux"')!.marker, 'sys_platform == "linux"');
  assert.is(parseRequirement('req @ https://x/r.whl;v=1')!.marker, undefined, 'a ; inside the URL is part of it');
});

test.run();
