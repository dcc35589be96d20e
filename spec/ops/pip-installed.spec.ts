// What a venv has installed, read from its site-packages folder names by plain shell: the real
// probe script runs on site-packages folders named as captured from real installs, and on a real
// venv it must agree with `pip list`. Odd layouts fall back to pip.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { installedProbe, parseInstalled } from '../../lib/ops/pip-installed.js';
import { scratch } from './applied-twice/local-run.js';

// Captured: Debian 12's /usr/lib/python3/dist-packages (dist-info and egg-info, a versionless
// cryptography.egg-info next to its dist-info), and the webapp venv on a lab host. Each is
// [folder or file name, the Name and Version in its metadata].
const DEBIAN: [string, string, string][] = [
  ['PyYAML-6.0.dist-info', 'PyYAML', '6.0'], ['blinker-1.5.dist-info', 'blinker', '1.5'],
  ['cryptography-38.0.4.dist-info', 'cryptography', '38.0.4'], ['cryptography.egg-info', 'cryptography', '38.0.4'],
  ['PyGObject-3.42.2.egg-info', 'PyGObject', '3.42.2'], ['dbus_python-1.3.2.egg-info', 'dbus-python', '1.3.2'],
  ['lazr.restfulclient-0.14.5.egg-info', 'lazr.restfulclient', '0.14.5'], ['python_apt-2.6.0.egg-info', 'python-apt', '2.6.0'],
  ['pyOpenSSL-23.0.0.egg-info', 'pyOpenSSL', '23.0.0'], ['setuptools-66.1.1.egg-info', 'setuptools', '66.1.1'],
];
const WEBAPP: [string, string, string][] = [
  ['gunicorn-20.1.0.dist-info', 'gunicorn', '20.1.0'], ['pip-23.0.1.dist-info', 'pip', '23.0.1'], ['setuptools-66.1.1.dist-info', 'setuptools', '66.1.1'],
];
// Names the folder alone cannot tell: two dashes, a legacy egg-info file, a name that is no name.
const ODD: [string, string, string][] = [
  ['backports-zoneinfo-0.2.1.dist-info', 'backports.zoneinfo', '0.2.1'],
  ['Flask_Cors-4.0.1-py3.11.egg-info', 'Flask-Cors', '4.0.1'],
  ['weird name-1.0.dist-info', 'weird-name', '1.0'],
];

/** A venv-shaped folder: bin/python (a stub printing `pip list` output), pyvenv.cfg, site-packages. */
function venvWith(entries: [string, string, string][], o: { cfg?: string; python?: string } = {}): { venv: string; site: string } {
  const venv = join(scratch(), 'venv');
  const site = join(venv, o.python ?? 'lib/python3.11', 'site-packages');
  mkdirSync(site, { recursive: true });
  mkdirSync(join(venv, 'bin'));
  writeFileSync(join(venv, 'bin/python'), '#!/bin/sh\necho "pip==0.0-from-pip-list"\n');
  chmodSync(join(venv, 'bin/python'), 0o755);
  writeFileSync(join(venv, 'pyvenv.cfg'), o.cfg ?? 'home = /usr/bin\ninclude-system-site-packages = false\nversion = 3.11.2\n');
  symlinkSync('lib', join(venv, 'lib64'));
  addEntries(site, entries);
  return { venv, site };
}

function addEntries(site: string, entries: [string, string, string][]): void {
  for (const [n, name, version] of entries) {
    // The body repeats header names: only the headers count.
    const text = `Metadata-Version: 2.1\nName: ${name}\nVersion: ${version}\nSummary: x\n\nName: not-this\nVersion: 0\n`;
    if (n.endsWith('-py3.11.egg-info')) { writeFileSync(join(site, n), text); continue; }
    mkdirSync(join(site, n));
    writeFileSync(join(site, n, n.endsWith('.dist-info') ? 'METADATA' : 'PKG-INFO'), text);
  }
}

const probe = (venv: string) => {
  const r = spawnSync('/bin/sh', ['-c', installedProbe(venv)], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  return r.stdout;
};
const sorted = (m: Map<string, string[]>) => [...m].map(([k, v]) => `${k}==${[...v].sort().join(',')}`).sort();
const expected = (entries: [string, string, string][]) =>
  [...new Set(entries.map(([, n, v]) => `${n.replace(/[-_.]+/g, '-').toLowerCase()}==${v}`))].sort();

for (const [what, entries] of [['Debian\'s dist-packages', DEBIAN], ['the webapp venv', WEBAPP], ['names the folder cannot tell', ODD]] as const) {
  test(`lists ${what} from site-packages, as pip would name and version them`, () => {
    const { venv } = venvWith([...entries]);
    const out = probe(venv);
    assert.match(out, /^listing\n/);
    const got = parseInstalled(out);
    assert.is(got.kind, 'listed');
    if (got.kind !== 'listed') return;
    assert.is(got.by, 'site-packages');
    assert.equal(sorted(got.versions), expected([...entries]));
  });
}

test('reads a plain dist-info name without opening its metadata', () => {
  const { venv, site } = venvWith(WEBAPP);
  rmSync(join(site, 'gunicorn-20.1.0.dist-info', 'METADATA'));
  const got = parseInstalled(probe(venv));
  assert.equal(got.kind === 'listed' && got.versions.get('gunicorn'), ['20.1.0']);
  assert.not.match(probe(venv), 'meta');
});

test('a folder name with a newline cannot add a distribution', () => {
  const { venv, site } = venvWith(WEBAPP);
  addEntries(site, [['x-1.0.dist-info\ndist evil-9.dist-info', 'x', '1.0']]);
  const got = parseInstalled(probe(venv));
  assert.ok(got.kind === 'listed' && !got.versions.has('evil'));
  assert.equal(got.kind === 'listed' && got.versions.get('x'), ['1.0']);
});

const fallbacks: [string, (v: { venv: string; site: string }) => void][] = [
  ['the venv includes the system site-packages', ({ venv }) => writeFileSync(join(venv, 'pyvenv.cfg'), 'home = /usr/bin\nInclude-System-Site-Packages = True\n')],
  ['there is no pyvenv.cfg', ({ venv }) => rmSync(join(venv, 'pyvenv.cfg'))],
  ['a legacy editable install left an .egg-link', ({ site }) => writeFileSync(join(site, 'mine.egg-link'), '/src/mine\n.\n')],
  ['there are two python3.* folders', ({ venv }) => mkdirSync(join(venv, 'lib/python3.12/site-packages'), { recursive: true })],
  ['lib64 is a folder of its own', ({ venv }) => { rmSync(join(venv, 'lib64')); mkdirSync(join(venv, 'lib64')); }],
];
for (const [why, spoil] of fallbacks) {
  test(`asks pip list when ${why}`, () => {
    const v = venvWith(WEBAPP);
    spoil(v);
    const got = parseInstalled(probe(v.venv));
    assert.equal(got.kind === 'listed' && [got.by, sorted(got.versions)], ['pip list', ['pip==0.0-from-pip-list']]);
  });
}

test('says novenv without bin/python, and broken when the fallback pip fails', () => {
  assert.equal(parseInstalled(probe(join(scratch(), 'none'))), { kind: 'novenv' });
  assert.equal(parseInstalled('rc=1\n'), { kind: 'broken' });
});

test('agrees with pip list on a real venv holding the captured distributions', () => {
  const venv = join(scratch(), 'venv');
  execFileSync('python3', ['-m', 'venv', venv]);
  const site = execFileSync(join(venv, 'bin/python'), ['-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])'], { encoding: 'utf8' }).trim();
  // Not Debian's setuptools: the venv has its own, and a name listed twice is kept twice on purpose.
  addEntries(site, [...DEBIAN.filter(([n]) => !n.startsWith('setuptools')), ...ODD.slice(0, 2)]);
  const pipList = execFileSync(join(venv, 'bin/python'), ['-m', 'pip', 'list', '--format=freeze', '--disable-pip-version-check'], { encoding: 'utf8' });
  const byPip = parseInstalled(pipList), bySh = parseInstalled(probe(venv));
  assert.is(bySh.kind === 'listed' && bySh.by, 'site-packages');
  assert.equal(bySh.kind === 'listed' && sorted(bySh.versions), byPip.kind === 'listed' && sorted(byPip.versions));
});

test.run();
