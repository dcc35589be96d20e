// Every core operation applied twice over SSH to one real lab host (become as vagrant):
// the first run changes, the second changes nothing, and the host shows the result.
// Needs root and the lab's tools (see lib/lab/preflight.ts). Port 22203.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createProject, type Project } from '../../lib/dsl/project.js';
import type { LabHost } from '../../lib/lab/index.js';
import { beforeAll } from '../support/before-all.js';
import { ssh, withLab } from '../support/lab.js';
import { tmpDir } from '../support/tmp.js';
import { deploy, expectAll as expectAllOn, why, type Run } from '../ops/applied-twice/lab-run.js';

const cluster = { nodes: [{ host_name: 'ops-01', port_mappings: [{ guest_port: 22, host_port: 22203, host_ip: '127.0.0.1' }] }] };
const D = '/opt/ops-lab';
const local = tmpDir('ss-ops-lab-');
const started = performance.now();

let host: LabHost;
let release: () => void = () => undefined;
let lab: Promise<void> | undefined;

// withLab spans the whole suite: it holds the lab up until test.after releases it, then tears down
beforeAll(test, 'lab up', () => new Promise<void>((ready, fail) => {
  const held = new Promise<void>((r) => { release = r; });
  lab = withLab(cluster, async (hosts) => { host = hosts[0]!; ready(); await held; });
  lab.catch(fail);
}));

test.after(async () => {
  release();
  await lab?.catch(() => undefined);
  local.cleanup();
  console.log(`ops-lab total ${((performance.now() - started) / 1000).toFixed(1)}s`);
});

/** The checks of lab-run.ts, on this suite's one host. */
const expectAll = (r: Run, names: string[], status: 'changed' | 'ok', when: string) => expectAllOn(r, 'ops-01', names, status, when);

const on = async (cmd: string) => {
  const r = await ssh(host, cmd);
  return { ...r, out: r.stdout.trim() };
};

const target = (p: Project) => p.host('ops-01', { address: host.address, port: host.port, user: host.user, privateKey: host.privateKey, become: true });

// the local sources copy and template read
const srcFile = join(local.dir, 'app.cfg');
const srcDir = join(local.dir, 'static');
writeFileSync(srcFile, 'debug = false\n');
mkdirSync(join(srcDir, 'css'), { recursive: true });
writeFileSync(join(srcDir, 'index.html'), '<h1>ops</h1>\n');
writeFileSync(join(srcDir, 'css', 'site.css'), 'body { margin: 0 }\n');
const tpl = join(local.dir, 'site.conf.mustache');
writeFileSync(tpl, 'server_name {{name}};\nlisten {{port}};\n');

/** All ops that create or start something, in one project (names are the ops' labels). */
function setup(): Project {
  const p = createProject();
  target(p)
    .apt(['nginx', 'htop'], { updateCache: true, cacheValidTime: 3600, name: 'apt install nginx htop' })
    .apt(['python3-venv'], { name: 'apt install python3-venv' })
    .group('appgroup', { name: 'group appgroup' })
    .user('appuser', { group: 'appgroup', home: '/home/appuser', createHome: true, shell: '/bin/bash', name: 'user appuser' })
    .file(D, { state: 'directory', mode: 0o755, name: 'file directory' })
    .file(`${D}/motd`, { content: 'hello from ops-lab\n', owner: 'appuser', group: 'appgroup', mode: 0o640, name: 'file content' })
    .file(`${D}/motd-link`, { state: 'link', target: `${D}/motd`, name: 'file link' })
    .file(`${D}/doomed`, { content: 'remove me\n', name: 'file to remove later' })
    .copy(srcFile, `${D}/app.cfg`, { mode: 0o600, owner: 'appuser', name: 'copy file' })
    .copy(srcDir, `${D}/static`, { name: 'copy directory' })
    .template(tpl, `${D}/site.conf`, { vars: { name: 'ops.example', port: 8080 }, mode: 0o644, name: 'template' })
    .shell(`echo made by shell > ${D}/shell-made`, { creates: `${D}/shell-made`, name: 'shell creates' })
    .command(['touch', `${D}/command-made`], { unless: `test -e ${D}/command-made`, name: 'command unless' })
    .venv(`${D}/venv`, { owner: 'appuser', group: 'appgroup', name: 'venv' })
    .pip({ venv: `${D}/venv`, packages: ['gunicorn'], name: 'pip packages' })
    .venv(`${D}/venv-req`, { name: 'venv for requirements' })
    .file(`${D}/requirements.txt`, { content: 'gunicorn\n', name: 'requirements file' })
    .pip({ venv: `${D}/venv-req`, requirements: `${D}/requirements.txt`, name: 'pip requirements' })
    .line(`${D}/settings.ini`, { line: 'workers = 3', regexp: '^workers\\s*=', create: true, mode: 0o644, name: 'line create' })
    .line('/etc/hosts', { line: '10.77.0.250 db.ops-lab', regexp: '\\sdb\\.ops-lab$', name: 'line in /etc/hosts' });
  return p;
}
const SETUP = ['apt install nginx htop', 'apt install python3-venv', 'group appgroup', 'user appuser', 'file directory', 'file content',
  'file link', 'file to remove later', 'copy file', 'copy directory', 'template', 'shell creates', 'command unless',
  'venv', 'pip packages', 'venv for requirements', 'requirements file', 'pip requirements',
  'line create', 'line in /etc/hosts'];

/** Removals and stops. */
function teardown(): Project {
  const p = createProject();
  target(p)
    .apt(['htop'], { state: 'absent', name: 'apt remove htop' })
    .file(`${D}/doomed`, { state: 'absent', name: 'file absent' })
    .file(`${D}/motd-link`, { state: 'absent', name: 'file link absent' })
    .service('nginx', { state: 'stopped', name: 'service nginx stopped' })
    .line('/etc/hosts', { line: '10.77.0.250 db.ops-lab', state: 'absent', name: 'line absent' });
  return p;
}
const TEARDOWN = ['apt remove htop', 'file absent', 'file link absent', 'service nginx stopped', 'line absent'];

test('every create op changes the host on the first run and nothing on the second', async () => {
  const first = await deploy(setup());
  console.log(`  setup run 1: ${first.seconds.toFixed(1)}s`);
  expectAll(first, SETUP, 'changed', 'setup run 1');
  const second = await deploy(setup());
  console.log(`  setup run 2: ${second.seconds.toFixed(1)}s`);
  expectAll(second, SETUP, 'ok', 'setup run 2');
  assert.is(second.result.hosts['ops-01']?.changed, 0);
});

test('the host shows what the create ops said they did', async () => {
  assert.is((await on('dpkg-query -W -f \'${Status}\' nginx htop python3-venv')).out, 'install ok installedinstall ok installedinstall ok installed', 'apt: packages installed');
  assert.match((await on('id appuser')).out, /gid=\d+\(appgroup\)/, 'user: appuser in appgroup');
  assert.is((await on('getent passwd appuser | cut -d: -f6,7')).out, '/home/appuser:/bin/bash', 'user: home and shell');
  assert.is((await on('stat -c %U /home/appuser')).out, 'appuser', 'user: home created and owned');
  assert.is((await on(`stat -c '%F %a' ${D}`)).out, 'directory 755', 'file: directory');
  assert.is((await on(`stat -c '%a %U:%G' ${D}/motd`)).out, '640 appuser:appgroup', 'file: content attrs');
  assert.is((await on(`sudo cat ${D}/motd`)).stdout, 'hello from ops-lab\n', 'file: content');
  assert.is((await on(`readlink ${D}/motd-link`)).out, `${D}/motd`, 'file: link');
  assert.is((await on(`stat -c '%a %U' ${D}/app.cfg`)).out, '600 appuser', 'copy: file attrs');
  assert.is((await on(`sudo cat ${D}/app.cfg`)).stdout, 'debug = false\n', 'copy: file content');
  assert.is((await on(`cat ${D}/static/index.html ${D}/static/css/site.css`)).stdout, '<h1>ops</h1>\nbody { margin: 0 }\n', 'copy: directory');
  assert.is((await on(`cat ${D}/site.conf`)).stdout, 'server_name ops.example;\nlisten 8080;\n', 'template: rendered');
  assert.is((await on(`cat ${D}/shell-made`)).out, 'made by shell', 'shell: ran');
  assert.is((await on(`test -e ${D}/command-made && echo yes`)).out, 'yes', 'command: ran');
  // nginx's postinst starts and enables it: the service op gets its own test below
  assert.is((await on('sudo service nginx status >/dev/null && pidof nginx >/dev/null && echo running')).out, 'running', 'apt: nginx started by its package');
  assert.is((await on(`stat -c %U ${D}/venv/bin/python3 && test -x ${D}/venv/bin/gunicorn && echo ok`)).out, 'appuser\nok', 'venv + pip packages: bin/gunicorn');
  assert.is((await on(`${D}/venv-req/bin/gunicorn --version`)).code, 0, 'pip requirements: gunicorn runs');
  assert.is((await on(`cat ${D}/settings.ini`)).stdout, 'workers = 3\n', 'line: created file');
  assert.is((await on('grep -c "db.ops-lab" /etc/hosts')).out, '1', 'line: /etc/hosts');
});

test('check mode reports a content change and leaves the host alone', async () => {
  const p = createProject();
  target(p)
    .file(`${D}/motd`, { content: 'changed in check mode\n', owner: 'appuser', group: 'appgroup', mode: 0o640, name: 'file content (check)' })
    .line(`${D}/settings.ini`, { line: 'workers = 9', regexp: '^workers\\s*=', name: 'line (check)' });
  const before = (await on(`sudo sha256sum ${D}/motd ${D}/settings.ini; stat -c '%a %U %Y' ${D}/motd ${D}/settings.ini`)).out;
  const r = await deploy(p, { check: true });
  expectAll(r, ['file content (check)', 'line (check)'], 'changed', 'check run');
  assert.ok(r.result.check);
  assert.is((await on(`sudo sha256sum ${D}/motd ${D}/settings.ini; stat -c '%a %U %Y' ${D}/motd ${D}/settings.ini`)).out, before, 'check: host untouched');
});

test('removals and stops change the host once, then nothing', async () => {
  const first = await deploy(teardown());
  console.log(`  teardown run 1: ${first.seconds.toFixed(1)}s`);
  expectAll(first, TEARDOWN, 'changed', 'teardown run 1');
  const second = await deploy(teardown());
  expectAll(second, TEARDOWN, 'ok', 'teardown run 2');
  assert.is((await on("dpkg-query -W -f '${Status}' htop 2>/dev/null || echo gone")).out.replace(/^deinstall ok config-files$/, 'gone'), 'gone', 'apt: htop removed');
  assert.is((await on(`test -e ${D}/doomed || echo gone`)).out, 'gone', 'file: absent');
  assert.is((await on(`test -L ${D}/motd-link || echo gone`)).out, 'gone', 'file: link absent');
  assert.is((await on('pidof nginx || echo stopped')).out, 'stopped', 'service: nginx stopped');
  assert.is((await on('grep -c "db.ops-lab" /etc/hosts || true')).out, '0', 'line: absent');
});

test('service starts and enables a stopped, disabled nginx once, then does nothing', async () => {
  // the removals above stopped it; disabling by hand leaves both halves of the op to do
  assert.is((await on('sudo update-rc.d nginx disable >/dev/null 2>&1; ls /etc/rc2.d | grep -c "^S.*nginx" || true')).out, '0', 'nginx disabled by hand');
  const build = () => {
    const p = createProject();
    target(p).service('nginx', { state: 'started', enabled: true, name: 'service nginx started enabled' });
    return p;
  };
  const first = await deploy(build());
  expectAll(first, ['service nginx started enabled'], 'changed', 'service run 1');
  assert.equal(first.byName.get('service nginx started enabled')!.changes.map((c) => c.what).sort(), ['enabled', 'state'], 'service: both halves changed');
  const second = await deploy(build());
  expectAll(second, ['service nginx started enabled'], 'ok', 'service run 2');
  assert.is((await on('sudo service nginx status >/dev/null && pidof nginx >/dev/null && echo running')).out, 'running', 'service: nginx running');
  assert.is((await on('ls /etc/rc2.d | grep -c "^S.*nginx"')).out, '1', 'service: nginx enabled');
});

// apt `latest` against a package with several versions: the lab's repository has one version
// of each package, so a tiny package is built here (dpkg-deb) and served from a flat repository
// on the host, next to the lab's own. copy:, not file:, so apt-get update copies its index
// into the lists (file: links to it, and a newly published version would show without an update).
const LATEST_REPO = '/srv/ss-latest';
const PKG = 'ss-latest';

/** Builds PKG at each version into a flat repository folder here, and puts it on the host. */
async function publish(versions: string[]) {
  const repo = join(local.dir, 'latest-repo');
  rmSync(repo, { recursive: true, force: true });
  mkdirSync(repo);
  for (const v of versions) {
    const root = join(local.dir, `pkg-${v}`);
    mkdirSync(join(root, 'DEBIAN'), { recursive: true });
    mkdirSync(join(root, 'usr/share', PKG), { recursive: true });
    writeFileSync(join(root, 'DEBIAN/control'), `Package: ${PKG}\nVersion: ${v}\nArchitecture: all\nMaintainer: shipshape tests <tests@example.org>\nDescription: apt latest test package\n`);
    writeFileSync(join(root, 'usr/share', PKG, 'version'), `${v}\n`);
    execFileSync('dpkg-deb', ['--root-owner-group', '-Zgzip', '--build', root, join(repo, `${PKG}_${v}_all.deb`)], { stdio: 'pipe' });
  }
  writeFileSync(join(repo, 'Packages'), execFileSync('dpkg-scanpackages', ['--multiversion', '.'], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] }));
  const tarball = execFileSync('tar', ['-czf', '-', '-C', repo, '.']).toString('base64');
  const r = await ssh(host, `rm -rf ${LATEST_REPO} && mkdir -p ${LATEST_REPO} && base64 -d | tar -xzf - -C ${LATEST_REPO} && ` +
    `echo 'deb [trusted=yes] copy:${LATEST_REPO} ./' > /etc/apt/sources.list.d/ss-latest.list`, { user: 'root', input: tarball });
  assert.is(r.code, 0, `publishing ${versions.join(', ')}: ${r.stderr}`);
}

const installedVersion = async (pkg: string) =>
  (await on(`dpkg-query -W -f '\${Status} \${Version}' ${pkg} 2>/dev/null | sed -n 's/^install ok installed //p'`)).out;

const latest = (packages: string[], name: string, o: { cacheValidTime?: number } = {}) => {
  const p = createProject();
  target(p).apt(packages, { state: 'latest', name, ...o });
  return p;
};

test('apt latest upgrades an installed older version once, then does nothing', async () => {
  await publish(['1.0', '2.0']);
  assert.is((await ssh(host, 'apt-get -q update', { user: 'root' })).code, 0, 'apt-get update with the new repository');
  const pin = createProject();
  target(pin).apt([`${PKG}=1.0`], { name: 'apt pinned 1.0' });
  expectAll(await deploy(pin), ['apt pinned 1.0'], 'changed', 'install 1.0');
  assert.is(await installedVersion(PKG), '1.0');
  const first = await deploy(latest([PKG], 'apt latest'));
  expectAll(first, ['apt latest'], 'changed', 'latest run 1');
  assert.equal(first.byName.get('apt latest')!.changes.map((c) => [c.what, c.before, c.after]), [[`package ${PKG}`, '1.0', '2.0']]);
  assert.is(await installedVersion(PKG), '2.0');
  assert.is((await on(`cat /usr/share/${PKG}/version`)).out, '2.0', 'the files of 2.0 are on the host');
  expectAll(await deploy(latest([PKG], 'apt latest')), ['apt latest'], 'ok', 'latest run 2');
  assert.is(await installedVersion(PKG), '2.0');
});

test('apt latest with cacheValidTime refreshes stale lists, then upgrades to what they offer; then does nothing', async () => {
  // 3.0 is in the repository, but the host's lists (made stale by hand) do not know it yet.
  await publish(['1.0', '2.0', '3.0']);
  assert.is((await ssh(host, "touch -d '2 hours ago' /var/lib/apt/lists", { user: 'root' })).code, 0);
  assert.match((await on(`apt-cache policy ${PKG}`)).out, /Candidate: 2\.0/, 'the stale lists do not know 3.0');
  const first = await deploy(latest([PKG], 'apt latest refresh', { cacheValidTime: 3600 }));
  expectAll(first, ['apt latest refresh'], 'changed', 'refresh run 1');
  assert.ok(first.byName.get('apt latest refresh')!.changes.some((c) => c.what === 'cache'), 'the lists were updated');
  assert.is(await installedVersion(PKG), '3.0');
  expectAll(await deploy(latest([PKG], 'apt latest refresh', { cacheValidTime: 3600 })), ['apt latest refresh'], 'ok', 'refresh run 2');
  assert.is(await installedVersion(PKG), '3.0');
});

test('apt latest installs a missing package once and leaves an up-to-date one alone', async () => {
  assert.is(await installedVersion('acl'), '', 'acl is not installed on a fresh host');
  const build = () => {
    const p = createProject();
    target(p)
      .apt(['acl'], { state: 'latest', name: 'apt latest acl' })
      .apt(['nginx'], { state: 'latest', name: 'apt latest nginx' });
    return p;
  };
  const nginx = await installedVersion('nginx');
  assert.ok(nginx, 'nginx is installed (setup)');
  const first = await deploy(build());
  expectAll(first, ['apt latest acl'], 'changed', 'latest run 1');
  assert.is(first.byName.get('apt latest nginx')!.status, 'ok', 'latest run 1: nginx has no newer version');
  assert.ok(await installedVersion('acl'), 'acl installed');
  expectAll(await deploy(build()), ['apt latest acl', 'apt latest nginx'], 'ok', 'latest run 2');
  assert.is(await installedVersion('nginx'), nginx, 'nginx untouched');
});

test.run();
