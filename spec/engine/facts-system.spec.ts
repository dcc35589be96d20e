import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseGroups, parseMemory, parseMounts, parsePackages, parsePartitions, parsePasswd, parsePython, serviceManagerOf } from '../../lib/engine/facts-system.js';
import { fixture, plain } from './facts-fixtures.js';

test('memory of a lab host, in MiB rounded down as Ansible does (24683664 kB is 24105 MB, what free -m said)', () => {
  assert.equal(parseMemory(fixture('lab-debian12', 'meminfo')), { totalMb: 24105, availableMb: 23211, swapTotalMb: 0, swapFreeMb: 0 });
});

test('memory on a kernel before MemAvailable: free + buffers + cached', () => {
  assert.equal(parseMemory(['MemTotal: 4096000 kB', 'MemFree: 1024000 kB', 'Buffers: 102400 kB', 'Cached: 921600 kB', 'SwapTotal: 2097148 kB', 'SwapFree: 1048576 kB']),
    { totalMb: 4000, availableMb: 2000, swapTotalMb: 2047, swapFreeMb: 1024 });
});

test('memory from nothing (an unreadable /proc/meminfo) is zeros, not a crash', () => {
  assert.equal(parseMemory(['grep: /proc/meminfo: No such file or directory']), { totalMb: 0, availableMb: 0, swapTotalMb: 0, swapFreeMb: 0 });
});

test('mounts of a lab host: what df lists, with the type /proc/mounts gives', () => {
  const m = parseMounts(fixture('lab-debian12', 'df'), fixture('lab-debian12', 'mounts'));
  assert.equal(m[0], { device: 'overlay', mountpoint: '/', fstype: 'overlay', sizeMb: 258019, availableMb: 81204 });
  assert.equal(m.find((x) => x.mountpoint === '/run/host/os-release'), { device: '/dev/vda', mountpoint: '/run/host/os-release', fstype: 'ext4', sizeMb: 258019, availableMb: 81204 });
  assert.equal(m.map((x) => x.mountpoint), fixture('lab-debian12', 'df').slice(1).map((l) => l.split(/\s+/).pop()), 'df\'s list, in its order');
  assert.not.ok(m.some((x) => x.fstype === 'proc' || x.fstype === 'cgroup'));
});

test('mounts without df: the non-pseudo entries of /proc/mounts, sizes unknown (null, not 0)', () => {
  const m = parseMounts([], fixture('lab-debian12', 'mounts'));
  assert.equal(m.find((x) => x.mountpoint === '/'), { device: 'overlay', mountpoint: '/', fstype: 'overlay', sizeMb: null, availableMb: null });
  assert.not.ok(m.some((x) => ['proc', 'sysfs', 'cgroup', 'devpts', 'ramfs'].includes(x.fstype)), JSON.stringify(m));
});

test('a mountpoint with spaces: df prints it raw, /proc/mounts escapes it; a wrapped or cut df line is skipped', () => {
  const m = parseMounts([
    'Filesystem 1024-blocks Used Available Capacity Mounted on',
    '/dev/sdb1 2097152 1048576 1048576 50% /mnt/my disk',
    '/dev/mapper/a-very-long-volume-name',
    '/dev/sdc1 1024',
  ], ['/dev/sdb1 /mnt/my\\040disk vfat rw 0 0']);
  assert.equal(m, [{ device: '/dev/sdb1', mountpoint: '/mnt/my disk', fstype: 'vfat', sizeMb: 2048, availableMb: 1024 }]);
});

test('block devices from /proc/partitions: disks and partitions with their size', () => {
  assert.equal(parsePartitions(fixture('lab-debian12', 'partitions')), [{ name: 'vda', sizeMb: 262144 }]);
  assert.equal(parsePartitions(['major minor  #blocks  name', '', '   8        0  500107608 sda', '   8        1     524288 sda1', '   8        2  499582279 sda2']),
    [{ name: 'sda', sizeMb: 488386 }, { name: 'sda1', sizeMb: 512 }, { name: 'sda2', sizeMb: 487873 }]);
});

test('packages of a lab host: every installed package with its version (openssh-server among them)', () => {
  const p = parsePackages(fixture('lab-debian12', 'dpkg'), []);
  assert.is(p['openssh-server'], '1:9.2p1-2+deb12u10');
  assert.is(p.python3?.startsWith('3.11'), true, p.python3);
  assert.is(Object.keys(p).length, fixture('lab-debian12', 'dpkg').length);
});

test('packages: removed ones (config files left) and half-installed or unpacked ones are not installed, in dpkg\'s full and abbreviated status; multiarch keeps the first', () => {
  const p = parsePackages([
    'deinstall ok config-files\tnginx\t1.22.1-9',
    'install ok half-installed\thtop\t3.2.2-2',
    'hold ok installed\tlibc6\t2.36-9+deb12u4',
    'install ok installed\tlibc6\t2.36-9+deb12u3',
    'install ok installed\tname\twith\ttabs',
    'ii \tcurl\t7.88.1-10',
    'rc \twget\t1.21.3-1',
    'iU \tzstd\t1.5.4',
    'garbage',
  ], []);
  assert.equal(plain(p), { libc6: '2.36-9+deb12u4', name: 'with', curl: '7.88.1-10' });
});

test('packages from rpm; none at all is {}', () => {
  assert.equal(plain(parsePackages([], ['bash\t5.1.8-9.el9', 'gpg-pubkey\t8483c65d-5ccc5b19', 'gpg-pubkey\tfd431d51-4ae0493b'])), { bash: '5.1.8-9.el9', 'gpg-pubkey': '8483c65d-5ccc5b19' });
  assert.equal(plain(parsePackages([], [])), {});
});

test('a package named like an Object method is no accident: the record has no prototype', () => {
  const p = parsePackages(['install ok installed\tconstructor\t1.0'], []);
  assert.is('toString' in p, false);
  assert.is(p.constructor, '1.0');
});

test('a huge package list parses quickly', () => {
  const lines = Array.from({ length: 60_000 }, (_, i) => `install ok installed\tpkg-${i}\t1.${i}-1`);
  const t0 = performance.now();
  const p = parsePackages(lines, []);
  assert.is(Object.keys(p).length, 60_000);
  assert.ok(performance.now() - t0 < 1000, `${performance.now() - t0} ms`);
});

test('users of a lab host: root and vagrant with uid, gid, home and shell', () => {
  const u = parsePasswd(fixture('lab-debian12', 'passwd'));
  assert.equal(u.root, { uid: 0, gid: 0, comment: 'root', home: '/root', shell: '/bin/bash' });
  assert.equal(u.vagrant, { uid: 1000, gid: 1000, comment: '', home: '/home/vagrant', shell: '/bin/bash' });
});

test('passwd lines that do not parse are skipped: NIS compat, short lines, non-numeric ids; a repeated name keeps the first', () => {
  const u = plain(parsePasswd(['+::::::', '+@admins', 'short:x:1', 'bad:x:abc:1::/:/bin/sh', 'app:x:900:900:App, Inc=1:/srv/app:/usr/sbin/nologin', 'app:x:901:901::/x:/bin/sh', '']));
  assert.equal(u, { app: { uid: 900, gid: 900, comment: 'App, Inc=1', home: '/srv/app', shell: '/usr/sbin/nologin' } });
});

test('groups of a lab host and groups with members', () => {
  const g = parseGroups(fixture('lab-debian12', 'group'));
  assert.equal(g.root, { gid: 0, members: [] });
  assert.equal(g.sudo, { gid: 27, members: [] });
  assert.equal(plain(parseGroups(['docker:x:999:alice,bob', 'wheel:x:10: root ', 'broken:x', 'nogid:x::a'])),
    { docker: { gid: 999, members: ['alice', 'bob'] }, wheel: { gid: 10, members: ['root'] } });
});

const pythons: { name: string; lines: string[]; want: { path: string; version: string } }[] = [
  { name: 'Debian: the package of the symlink target', lines: fixture('lab-debian12', 'python').map((l, i) => `${['path', 'real', 'dpkg'][i]}=${l}`), want: { path: '/usr/bin/python3', version: '3.11.2' } },
  { name: 'rpm', lines: ['path=/usr/bin/python3', 'real=/usr/bin/python3.9', 'rpm=3.9.18'], want: { path: '/usr/bin/python3', version: '3.9.18' } },
  { name: 'no package: the target\'s name', lines: ['path=/usr/local/bin/python3', 'real=/usr/local/bin/python3.12', 'dpkg='], want: { path: '/usr/local/bin/python3', version: '3.12' } },
  { name: 'a package of another Python loses to the target\'s name', lines: ['path=/usr/local/bin/python3', 'real=/usr/local/bin/python3.12', 'dpkg=3.11.2-6'], want: { path: '/usr/local/bin/python3', version: '3.12' } },
  { name: 'an epoch is not part of the version', lines: ['path=/usr/bin/python3', 'real=/usr/bin/python3.11', 'dpkg=1:3.11.4-1'], want: { path: '/usr/bin/python3', version: '3.11.4' } },
  { name: 'a pyenv shim tells nothing without running it', lines: ['path=/root/.pyenv/shims/python3', 'real=/root/.pyenv/shims/python3'], want: { path: '/root/.pyenv/shims/python3', version: '' } },
  { name: 'no python3 at all', lines: ['path='], want: { path: '', version: '' } },
  { name: 'nothing printed', lines: [], want: { path: '', version: '' } },
];
for (const c of pythons) test(`python3: ${c.name}`, () => assert.equal(parsePython(c.lines), c.want));

const managers: [string, string[], 'systemd' | 'sysvinit', string][] = [
  ['systemd', ['/etc/init.d'], 'systemd', 'systemd'],
  ['init', ['/run/openrc', '/etc/init.d'], 'sysvinit', 'openrc'],
  ['openrc-init', [], 'sysvinit', 'openrc'],
  ['runit', ['/run/runit'], 'sysvinit', 'runit'],
  ['s6-svscan', ['/run/s6'], 'sysvinit', 's6'],
  ['init', ['/sbin/initctl', '/etc/init', '/etc/init.d'], 'sysvinit', 'upstart'],
  ['init', ['/etc/init.d'], 'sysvinit', 'sysvinit'],
  ['bash', ['/etc/init.d'], 'sysvinit', 'sysvinit'],
  ['node', [], 'sysvinit', 'unknown'],
];
for (const [pid1, has, init, want] of managers) {
  test(`service manager: PID 1 ${pid1}, ${has.join(' ') || 'no markers'} → ${want}`, () => assert.is(serviceManagerOf(pid1, new Set(has), init), want));
}

test.run();
