import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import { splitSections } from '../../lib/ops/common.js';
import * as assert from 'uvu/assert';
import { aptOp, mergeApt, type AptArgs } from '../../lib/ops/apt.js';
import { opTable, sections } from '../support/op-harness.js';

const APT = 'DEBIAN_FRONTEND=noninteractive apt-get -y -q -o DPkg::Lock::Timeout=120 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold';
const UPDATE = 'DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=120 update && touch /var/lib/apt/lists';
const M = '::shipshape::';
// Real dpkg-query output on Debian 12: unknown packages are missing from stdout, rc 1.
const dpkg = (lines: string[], rc = 0) => sections(`${M}dpkg\n${lines.map((l) => l + '\n').join('')}rc=${rc}\n`);
const NOW = 1795667449;
const lists = (ageSeconds: number | null, has = 1) => sections(`${M}lists\n${NOW} ${ageSeconds === null ? '-' : NOW - ageSeconds} ${has}\n`);
const policyText = (pkg: string, installed: string, candidate: string) =>
  `${M}policy\n${pkg}:\n  Installed: ${installed}\n  Candidate: ${candidate}\n  Version table:\n     ${candidate} 500\n        500 http://deb.example.org/debian bookworm/main amd64 Packages\n`;
const policy = (pkg: string, installed: string, candidate: string) => sections(policyText(pkg, installed, candidate));

opTable<AptArgs>(aptOp, [
  {
    name: 'installs the packages that are missing',
    args: { packages: ['nginx', 'supervisor', 'python3'] },
    probed: dpkg(['python3 install ok installed 3.11.2-1+b1'], 1),
    expect: {
      probe: ["dpkg-query -W -f='${Package} ${Status} ${Version}\\n' -- nginx supervisor python3"],
      changes: [{ what: 'package nginx', before: 'absent', after: 'present' }, { what: 'package supervisor', before: 'absent', after: 'present' }],
      actions: [{ kind: 'exec', command: `${APT} install -- nginx supervisor` }],
    },
  },
  {
    name: 'does nothing when nginx is already installed',
    args: { packages: ['nginx', 'htop'] },
    probed: dpkg(['nginx install ok installed 1.22.1-9', 'htop install ok installed 3.2.2-2']),
    expect: { changes: [], noop: 'nginx, htop installed', actions: [] },
  },
  {
    name: 'reinstalls a package that was removed but left its config files',
    args: { packages: ['nginx'] },
    probed: dpkg(['nginx deinstall ok config-files 1.22.1-9']),
    expect: { changes: [{ what: 'package nginx', before: 'config-files', after: 'present' }], actions: [{ kind: 'exec', command: `${APT} install -- nginx` }] },
  },
  {
    name: 'installs a pinned version that differs',
    args: { packages: ['nginx=1.22.1-9+deb12u1'] },
    probed: dpkg(['nginx install ok installed 1.22.1-9']),
    expect: { changes: [{ what: 'package nginx', before: '1.22.1-9', after: '1.22.1-9+deb12u1' }], actions: [{ kind: 'exec', command: `${APT} install -- nginx=1.22.1-9+deb12u1` }] },
  },
  {
    name: 'compares an arch-qualified name by its package name',
    args: { packages: ['libc6:amd64'] },
    probed: dpkg(['libc6 install ok installed 2.36-9+deb12u10']),
    expect: { changes: [], noop: 'libc6:amd64 installed' },
  },
  {
    name: 'updates stale lists before installing',
    args: { packages: ['nginx'], updateCache: true, cacheValidTime: 3600 },
    probed: dpkg([], 1) + lists(2 * 86400),
    expect: {
      probe: ['stat -c %Y /var/lib/apt/lists', 'for f in /var/lib/apt/lists/*_Packages*'],
      changes: [{ what: 'cache', before: 'updated 2d ago', after: 'updated' }, { what: 'package nginx', before: 'absent', after: 'present' }],
      actions: [{ kind: 'exec', command: UPDATE }, { kind: 'exec', command: `${APT} install -- nginx` }],
    },
  },
  {
    name: 'skips the update when the lists are fresh',
    args: { packages: ['nginx'], updateCache: true, cacheValidTime: 3600 },
    probed: dpkg([], 1) + lists(600),
    expect: { changes: [{ what: 'package nginx' }], actions: [{ kind: 'exec', command: `${APT} install -- nginx` }] },
  },
  {
    name: 'does nothing within cacheValidTime when everything is installed',
    args: { packages: ['nginx'], cacheValidTime: 3600 },
    probed: dpkg(['nginx install ok installed 1.22.1-9']) + lists(1200),
    expect: { changes: [], noop: 'nginx installed; package lists fresh (updated 20m ago)' },
  },
  {
    name: 'does not update just for packages that are all installed',
    args: { packages: ['nginx'], updateCache: true },
    probed: dpkg(['nginx install ok installed 1.22.1-9']) + lists(60),
    expect: { changes: [], noop: 'nginx installed (cache update skipped: nothing to install)' },
  },
  {
    name: 'updates when there are no package lists at all, whatever the mtime',
    args: { packages: [], updateCache: true, cacheValidTime: 86400 },
    probed: lists(10, 0),
    expect: { probe: [/^(?!.*dpkg-query)/s], changes: [{ what: 'cache', before: 'no package lists', after: 'updated' }], actions: [{ kind: 'exec', command: UPDATE }] },
  },
  {
    name: 'updates when the lists directory has an mtime of 0 (a fresh lab image)',
    args: { packages: [], cacheValidTime: 3600 },
    probed: sections(`${M}lists\n${NOW} 0 1\n`),
    expect: { changes: [{ what: 'cache', before: `updated ${Math.round(NOW / 86400)}d ago` }], actions: [{ kind: 'exec', command: UPDATE }] },
  },
  {
    name: 'an update-only task does nothing within cacheValidTime',
    args: { packages: [], updateCache: true, cacheValidTime: 3600 },
    probed: lists(30),
    expect: { changes: [], noop: 'nothing to install; package lists fresh (updated 30s ago)' },
  },
  {
    name: 'upgrades to the candidate for latest',
    args: { packages: ['bash', 'curl'], state: 'latest' },
    probed: dpkg(['bash install ok installed 5.2.15-2+b8', 'curl install ok installed 7.88.1-10+deb12u15']) +
      sections(policyText('bash', '5.2.15-2+b8', '5.2.15-2+b13') + policyText('curl', '7.88.1-10+deb12u15', '7.88.1-10+deb12u15').replace(`${M}policy\n`, '')),
    expect: {
      probe: ['LC_ALL=C apt-cache policy -- bash curl'],
      changes: [{ what: 'package bash', before: '5.2.15-2+b8', after: '5.2.15-2+b13' }],
      actions: [{ kind: 'exec', command: `${APT} install -- bash` }],
    },
  },
  {
    name: 'does nothing for latest when the candidate is installed',
    args: { packages: ['curl'], state: 'latest' },
    probed: dpkg(['curl install ok installed 7.88.1-10+deb12u15']) + policy('curl', '7.88.1-10+deb12u15', '7.88.1-10+deb12u15'),
    expect: { changes: [], noop: 'curl at the candidate version' },
  },
  {
    name: 'fails for latest when no candidate exists and no update is due',
    args: { packages: ['nosuchpkg'], state: 'latest' },
    probed: dpkg([], 1) + sections(`${M}policy\n`),
    expect: { throws: /package nosuchpkg has no installation candidate/ },
  },
  {
    name: 'check mode reports latest for a package without a candidate instead of failing',
    args: { packages: ['nosuchpkg'], state: 'latest' },
    check: true,
    probed: dpkg([], 1) + sections(`${M}policy\n`),
    expect: { changes: [{ what: 'package nosuchpkg', before: 'absent', after: 'latest' }] },
  },
  {
    name: 'latest with a due update installs every package after the update',
    args: { packages: ['curl'], state: 'latest', updateCache: true },
    probed: dpkg(['curl install ok installed 7.88.1-10+deb12u15']) + policy('curl', '7.88.1-10+deb12u15', '7.88.1-10+deb12u15') + lists(7200),
    expect: { changes: [{ what: 'cache', before: 'updated 2h ago' }], actions: [{ kind: 'exec', command: UPDATE }, { kind: 'exec', command: `${APT} install -- curl` }] },
  },
  {
    name: 'removes installed packages for absent',
    args: { packages: ['nginx', 'apache2'], state: 'absent' },
    probed: dpkg(['nginx install ok installed 1.22.1-9', 'apache2 deinstall ok config-files 2.4.62-1'], 0),
    expect: { changes: [{ what: 'package nginx', before: '1.22.1-9', after: 'absent' }], actions: [{ kind: 'exec', command: `${APT} remove -- nginx` }] },
  },
  {
    name: 'does nothing for absent packages that are not installed',
    args: { packages: ['apache2'], state: 'absent', updateCache: true },
    probed: dpkg([], 1) + lists(999999),
    expect: { changes: [], noop: 'apache2 not installed (cache update skipped: nothing to install)' },
  },
  {
    name: 'fails clearly when dpkg-query is not there',
    args: { packages: ['nginx'] },
    probed: sections(`${M}dpkg\nrc=127\n`),
    expect: { throws: /dpkg-query failed \(exit 127\): is this a Debian or Ubuntu host\?/ },
  },
  // validation
  { name: 'rejects an upper-case package name', args: { packages: ['Nginx'] }, expect: { problems: ['package "Nginx" is not a valid Debian package name (lower case letters, digits, + - . ; optionally =version)'] } },
  { name: 'rejects shell syntax in a package name', args: { packages: ['nginx;rm -rf /'] }, expect: { problems: [/^package "nginx;rm -rf \/" is not a valid Debian package name/] } },
  { name: 'rejects an invalid version', args: { packages: ['nginx=latest'] }, expect: { problems: ['package "nginx=latest" has an invalid version "latest" (like 1.22.1-9 or 1:2.3-4)'] } },
  { name: 'rejects a pinned version with latest', args: { packages: ['nginx=1.2'], state: 'latest' }, expect: { problems: [`package "nginx=1.2" pins a version, which only goes with state 'present'`] } },
  { name: 'rejects an unknown state', args: { packages: ['nginx'], state: 'installed' as never }, expect: { problems: ['state "installed" is not one of present, absent, latest'] } },
  { name: 'rejects a negative cacheValidTime', args: { packages: ['nginx'], cacheValidTime: -1 }, expect: { problems: ['cacheValidTime -1 must be a whole number of seconds (0 or more)'] } },
  { name: 'rejects an empty package list without updateCache', args: { packages: [] }, expect: { problems: [/^packages is empty/] } },
  { name: 'rejects a package listed twice', args: { packages: ['nginx', 'nginx'] }, expect: { problems: ['package "nginx" is listed twice'] } },
  { name: 'accepts epochs, plus signs and tildes in versions', args: { packages: ['libfoo++=1:2.3~rc1-4+b2', 'g++'] }, expect: { problems: [] } },
]);

test('mergeApt joins two present installs into one call', () => {
  assert.equal(mergeApt({ packages: ['nginx'] }, { packages: ['htop', 'nginx'] }), { packages: ['nginx', 'htop'] });
});

test('mergeApt keeps the cache options of the task that has them', () => {
  assert.equal(mergeApt({ packages: ['nginx'], updateCache: true, cacheValidTime: 3600 }, { packages: ['htop'] }), { packages: ['nginx', 'htop'], updateCache: true, cacheValidTime: 3600 });
  assert.equal(mergeApt({ packages: ['nginx'] }, { packages: ['htop'], cacheValidTime: 60 }), { packages: ['nginx', 'htop'], cacheValidTime: 60 });
});

test('mergeApt refuses different states, different cache times and conflicting pins', () => {
  assert.is(mergeApt({ packages: ['nginx'] }, { packages: ['htop'], state: 'absent' }), undefined);
  assert.is(mergeApt({ packages: ['nginx'], cacheValidTime: 60 }, { packages: ['htop'], cacheValidTime: 3600 }), undefined);
  assert.is(mergeApt({ packages: ['nginx=1.0'] }, { packages: ['nginx=2.0'] }), undefined);
});

test('mergeApt refuses an update-only task', () => {
  assert.is(mergeApt({ packages: [], updateCache: true }, { packages: ['htop'] }), undefined);
});

test('mergeApt treats present and a missing state as the same', () => {
  assert.equal(mergeApt({ packages: ['a1'], state: 'present' }, { packages: ['b1'] }), { packages: ['a1', 'b1'], state: 'present' });
});

test('apt: lockTimeout is how long apt-get waits for the dpkg lock; a bad value is a plan problem', () => {
  const actions = aptOp.apply({ packages: ['nginx'], lockTimeout: 600 }, { changes: [], data: { update: true, install: ['nginx'], remove: [] } }, {} as never);
  assert.equal(actions.map((x) => (x.kind === 'exec' ? x.command : '')), [
    'DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=600 update && touch /var/lib/apt/lists',
    "DEBIAN_FRONTEND=noninteractive apt-get -y -q -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold install -- nginx",
  ]);
  assert.equal(aptOp.validate({ packages: ['nginx'], lockTimeout: -1 }, { host: 'h', baseDir: '.', vars: {} }), ['lockTimeout -1 must be a whole number of seconds from 0 to 86400']);
});

test('the probe asks apt-cache only about packages dpkg does not list as installed (held ones are installed, config-files ones are not)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ss-apt-probe-'));
  try {
    // dpkg-query and apt-cache stand-ins on PATH: what Debian 12 prints for these states
    writeFileSync(join(dir, 'dpkg-query'), '#!/bin/sh\nprintf "%s\\n" "nginx install ok installed 1.22.1-9" "vim hold ok installed 2:9.0" "curl deinstall ok config-files 7.88.1" "lib-x install reinstreq installed 1.0"; exit 1\n');
    writeFileSync(join(dir, 'apt-cache'), '#!/bin/sh\necho "asked: $*"\n');
    chmodSync(join(dir, 'dpkg-query'), 0o755);
    chmodSync(join(dir, 'apt-cache'), 0o755);
    const probe = (packages: string[]) => splitSections(execFileSync('/bin/sh', ['-c', aptOp.probe({ packages }, { baseDir: dir })!], { encoding: 'utf8', env: { ...process.env, PATH: `${dir}:/usr/bin:/bin` } }));
    assert.is(probe(['nginx', 'vim:amd64', 'curl', 'lib-x', 'jq', 'nginx-extras']).policy, 'asked: policy -- curl jq nginx-extras\n');
    assert.is(probe(['nginx', 'vim']).policy, undefined, 'all installed: no apt-cache');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
