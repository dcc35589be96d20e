// sync and git applied twice over SSH to one real lab host (become root): the first run
// changes, the second changes nothing, check mode changes nothing, and the host shows the
// result. git clones from a bare repository the lab serves over smart HTTP (serveLab).
// Needs root and the lab's tools (see lib/lab/preflight.ts). Port 24310.
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createProject, type Project } from '../../../lib/dsl/project.js';
import { serveLab, type LabHost, type LabServer } from '../../../lib/lab/index.js';
import { beforeAll } from '../../support/before-all.js';
import { ssh, withLab } from '../../support/lab.js';
import { tmpDir } from '../../support/tmp.js';
import { git as gitIn, publishRepo } from '../../support/git-repo.js';
import { deploy, why, type Run } from './lab-run.js';

const cluster = { nodes: [{ host_name: 'syncgit-01', port_mappings: [{ guest_port: 22, host_port: 24310, host_ip: '127.0.0.1' }] }] };
const local = tmpDir('ss-sync-git-');
const src = join(local.dir, 'site');
const work = join(local.dir, 'work');
const served = join(local.dir, 'served');
const D = '/srv/site';
const APP = '/opt/app';
const SHALLOW = '/opt/app-shallow';

let host: LabHost;
let server: LabServer;
let release: () => void = () => undefined;
let lab: Promise<void> | undefined;

const git = (args: string[], cwd = work) => gitIn(args, cwd);

beforeAll(test, 'lab up, a served git repository', () => new Promise<void>((ready, fail) => {
  const held = new Promise<void>((r) => { release = r; });
  lab = withLab(cluster, async (hosts) => {
    host = hosts[0]!;
    mkdirSync(work, { recursive: true });
    mkdirSync(served, { recursive: true });
    writeFileSync(join(work, 'app.py'), 'print("v1")\n');
    await publishRepo(work, join(served, 'app.git'), { message: 'first', tag: 'v1.0' });
    server = await serveLab(served);
    ready();
    await held;
  });
  lab.catch(fail);
}));

test.after(async () => {
  await server?.close();
  release();
  await lab?.catch(() => undefined);
  local.cleanup();
});


function expectAll(r: Run, names: string[], status: 'changed' | 'ok', when: string) {
  assert.is(r.result.exitCode, 0, `${when}: ${why(r)}`);
  for (const n of names) {
    const t = r.byName.get(n);
    assert.ok(t, `${when}: ${n} did not run`);
    const detail = t.changes.map((c) => c.what).join('; ');
    assert.is(t.status, status, `${when}: ${n} was ${t.status}${detail ? ` (${detail})` : ''}${t.reason ? ` [${t.reason}]` : ''}`);
  }
}

const whats = (r: Run, name: string) => r.byName.get(name)!.changes.map((c) => c.what);
const on = async (cmd: string) => (await ssh(host, cmd, { user: 'root' })).stdout.trim();
const target = (p: Project) => p.host('syncgit-01', { address: host.address, port: host.port, user: host.user, privateKey: host.privateKey, become: true });

// the local tree sync mirrors: more files than go one by one, so the first run is one archive
mkdirSync(join(src, 'css'), { recursive: true });
mkdirSync(join(src, 'empty'), { recursive: true });
writeFileSync(join(src, 'index.html'), '<h1>v1</h1>\n');
writeFileSync(join(src, 'about.html'), '<p>about</p>\n');
writeFileSync(join(src, 'old.html'), '<p>soon gone</p>\n');
writeFileSync(join(src, 'css', 'site.css'), 'body { margin: 0 }\n');
writeFileSync(join(src, 'run.sh'), '#!/bin/sh\necho hi\n');
chmodSync(join(src, 'run.sh'), 0o755);
writeFileSync(join(src, 'notes.tmp'), 'never uploaded\n');

const syncOpts = { delete: true, exclude: ['*.tmp', 'uploads/'], owner: 'www-data', group: 'www-data', name: 'sync site' };
const site = (o: object = syncOpts) => { const p = createProject(); target(p).sync(src, D, o); return p; };

test('sync mirrors a tree once, then changes nothing', async () => {
  const first = await deploy(site());
  expectAll(first, ['sync site'], 'changed', 'sync run 1');
  assert.equal(whats(first, 'sync site'), ['state', '+ about.html', '+ css/', '+ css/site.css', '+ empty/', '+ index.html', '+ old.html', '+ run.sh']);
  expectAll(await deploy(site()), ['sync site'], 'ok', 'sync run 2');
  assert.is(await on(`cd ${D} && find . -printf '%y %m %u:%g %P\\n' | sort`), [
    'd 755 www-data:www-data ', 'd 755 www-data:www-data css', 'd 755 www-data:www-data empty',
    'f 644 www-data:www-data about.html', 'f 644 www-data:www-data css/site.css', 'f 644 www-data:www-data index.html',
    'f 644 www-data:www-data old.html', 'f 755 www-data:www-data run.sh',
  ].join('\n'));
  assert.is(await on(`cat ${D}/index.html ${D}/css/site.css`), '<h1>v1</h1>\nbody { margin: 0 }');
});

test('sync with delete: true removes what left the source, leaves excluded files, and check mode touches nothing', async () => {
  await on(`mkdir -p ${D}/uploads ${D}/stale/deeper && echo mine > ${D}/uploads/a.png && echo x > ${D}/stale/deeper/x && echo t > ${D}/cache.tmp`);
  rmSync(join(src, 'old.html'));
  writeFileSync(join(src, 'index.html'), '<h1>v2</h1>\n');
  const before = await on(`cd ${D} && find . -printf '%y %m %P\\n' | sort && cat index.html`);
  const check = await deploy(site(), { check: true });
  expectAll(check, ['sync site'], 'changed', 'sync check');
  assert.equal(whats(check, 'sync site'), ['~ index.html', '- old.html', '- stale/', '- stale/deeper/', '- stale/deeper/x']);
  const diff = check.byName.get('sync site')!.changes[0]!.content;
  assert.is(diff?.after, '<h1>v2</h1>\n', 'the --diff shows the new content');
  assert.is(await on(`cd ${D} && find . -printf '%y %m %P\\n' | sort && cat index.html`), before, 'check mode left the host alone');

  const r = await deploy(site());
  expectAll(r, ['sync site'], 'changed', 'sync delete run 1');
  expectAll(await deploy(site()), ['sync site'], 'ok', 'sync delete run 2');
  assert.is(await on(`cd ${D} && ls -A`), 'about.html\ncache.tmp\ncss\nempty\nindex.html\nrun.sh\nuploads');
  assert.is(await on(`cat ${D}/index.html ${D}/uploads/a.png`), '<h1>v2</h1>\nmine');
  assert.is(await on(`stat -c '%U %a' ${D}/index.html`), 'www-data 644');
});

// --- git -------------------------------------------------------------------

const app = (version: string | undefined, o: object = {}) => {
  const p = createProject();
  target(p)
    .apt(['git'], { name: 'apt git' })
    .git(`${server.url}/app.git`, APP, { ...(version ? { version } : {}), owner: 'www-data', group: 'www-data', name: 'git app', ...o })
    .git(`${server.url}/app.git`, SHALLOW, { version: version ?? 'main', depth: 1, name: 'git shallow' });
  return p;
};
const headOf = (dir: string) => on(`git -C ${dir} -c safe.directory='*' rev-parse HEAD`);

test('git clones a branch once (as its owner), then changes nothing', async () => {
  const first = await deploy(app('main'));
  expectAll(first, ['apt git', 'git app', 'git shallow'], 'changed', 'git run 1');
  const head = await git(['rev-parse', 'HEAD']);
  assert.equal(whats(first, 'git app'), [`clone branch main at ${head.slice(0, 7)}`]);
  const second = await deploy(app('main'));
  expectAll(second, ['apt git', 'git app', 'git shallow'], 'ok', 'git run 2');
  assert.is(await headOf(APP), head);
  assert.is(await headOf(SHALLOW), head);
  assert.is(await on(`git -C ${APP} -c safe.directory='*' symbolic-ref --short HEAD`), 'main');
  assert.is(await on(`stat -c %U:%G ${APP} ${APP}/app.py ${APP}/.git/HEAD | sort -u`), 'www-data:www-data');
  assert.is(await on(`sudo -u www-data git -C ${APP} status --porcelain && echo clean`), 'clean', 'the owner can use the tree');
});

test('git reports old → new after a push, and check mode first leaves the tree alone', async () => {
  const old = await git(['rev-parse', 'HEAD']);
  writeFileSync(join(work, 'app.py'), 'print("v2")\n');
  await git(['commit', '-qam', 'second']);
  await git(['push', '-q', 'origin', 'main']);
  const now = await git(['rev-parse', 'HEAD']);
  const check = await deploy(app('main'), { check: true });
  expectAll(check, ['git app', 'git shallow'], 'changed', 'git check');
  assert.is(await headOf(APP), old, 'check mode changed nothing');
  const r = await deploy(app('main'));
  expectAll(r, ['git app', 'git shallow'], 'changed', 'git update');
  const c = r.byName.get('git app')!.changes[0]!;
  assert.equal([c.what, c.before, c.after], [`commit ${old.slice(0, 7)} → ${now.slice(0, 7)}`, old.slice(0, 7), now.slice(0, 7)]);
  assert.is(await headOf(APP), now);
  assert.is(await headOf(SHALLOW), now);
  assert.is(await on(`cat ${APP}/app.py`), 'print("v2")');
  expectAll(await deploy(app('main')), ['git app', 'git shallow'], 'ok', 'git update run 2');
});

test('git pins a tag, then a commit (shallow too), each once', async () => {
  const first = await git(['rev-list', '--max-parents=0', 'HEAD']);
  const tagged = await deploy(app('v1.0'));
  expectAll(tagged, ['git app', 'git shallow'], 'changed', 'tag run 1');
  assert.is(await headOf(APP), first);
  assert.is(await on(`cat ${APP}/app.py`), 'print("v1")');
  expectAll(await deploy(app('v1.0')), ['git app', 'git shallow'], 'ok', 'tag run 2');

  const head = await git(['rev-parse', 'HEAD']);
  const pinned = await deploy(app(head));
  expectAll(pinned, ['git app', 'git shallow'], 'changed', 'commit run 1');
  assert.is(await headOf(APP), head);
  assert.is(await headOf(SHALLOW), head);
  expectAll(await deploy(app(head)), ['git app', 'git shallow'], 'ok', 'commit run 2');
});

test('git refuses to update over local modifications unless force: true', async () => {
  expectAll(await deploy(app('main')), ['git app'], 'changed', 'back on the branch');
  await on(`echo local >> ${APP}/app.py`);
  const r = await deploy(app('main'));
  assert.is(r.byName.get('git app')!.status, 'ok', 'already at main: the modification is left alone');
  await git(['commit', '-qm', 'third', '--allow-empty']);
  await git(['push', '-q', 'origin', 'main']);
  const refused = await deploy(app('main'));
  assert.is(refused.byName.get('git app')!.status, 'failed');
  assert.match(refused.byName.get('git app')!.error?.message ?? '', /\/opt\/app has local modifications \(app.py\).*force: true/);
  const forced = await deploy(app('main', { force: true }));
  expectAll(forced, ['git app'], 'changed', 'forced');
  assert.is(await on(`cat ${APP}/app.py`), 'print("v2")');
  assert.is(await headOf(APP), await git(['rev-parse', 'HEAD']));
});

test.run();
