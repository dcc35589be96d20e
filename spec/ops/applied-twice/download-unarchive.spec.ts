// download and unarchive applied twice over SSH to one real lab host: files served by
// serveLab on the lab bridge, fetched by the host itself (curl; wget with curl hidden), then
// extracted from the host (remote: true) and from a local archive. Needs root. Port 24231.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createProject, type Project } from '../../../lib/dsl/project.js';
import { serveLab, type LabHost, type LabServer } from '../../../lib/lab/index.js';
import { fetchScript } from '../../../lib/ops/download.js';
import { quote } from '../../../lib/transport/quote.js';
import { beforeAll } from '../../support/before-all.js';
import { ssh, withLab } from '../../support/lab.js';
import { sha } from '../../support/op-harness.js';
import { tmpDir } from '../../support/tmp.js';
import { deploy, why, type Run } from './lab-run.js';

const cluster = { nodes: [{ host_name: 'dl-01', port_mappings: [{ guest_port: 22, host_port: 24231, host_ip: '127.0.0.1' }] }] };
const D = '/opt/dl-lab';
const local = tmpDir('ss-dl-lab-');

// What the server serves: a plain file and a tarball; and a local zip for unarchive.
const served = join(local.dir, 'served');
const work = join(local.dir, 'work');
mkdirSync(join(work, 'app-1.0/bin'), { recursive: true });
mkdirSync(served);
writeFileSync(join(work, 'app-1.0/README'), 'app 1.0\n');
writeFileSync(join(work, 'app-1.0/bin/app'), '#!/bin/sh\necho app\n', { mode: 0o755 });
writeFileSync(join(served, 'tool.txt'), 'a tool\n');
execFileSync('/bin/sh', ['-c', `tar -czf ${quote(join(served, 'app-1.0.tar.gz'))} app-1.0 && zip -qr ../site.zip app-1.0`], { cwd: work });
const TOOL_SUM = sha('a tool\n');
const APP_SUM = sha(readFileSync(join(served, 'app-1.0.tar.gz')));

let host: LabHost;
let srv: LabServer;
let release: () => void = () => undefined;
let lab: Promise<void> | undefined;

beforeAll(test, 'lab up', () => new Promise<void>((ready, fail) => {
  const held = new Promise<void>((r) => { release = r; });
  lab = withLab(cluster, async (hosts) => {
    host = hosts[0]!;
    srv = await serveLab(served);
    ready();
    await held;
  });
  lab.catch(fail);
}));

test.after(async () => {
  await srv?.close();
  release();
  await lab?.catch(() => undefined);
  local.cleanup();
});


const on = async (cmd: string) => (await ssh(host, cmd)).stdout.trim();
const target = (p: Project) => p.host('dl-01', { address: host.address, port: host.port, user: host.user, privateKey: host.privateKey, become: true });
const gets = () => srv.requests.filter((r) => r.method === 'GET').length;

const NAMES = ['tools', 'dir', 'download tool', 'download app', 'unarchive app', 'unarchive site'];
function project(): Project {
  const p = createProject();
  target(p)
    .apt(['unzip', 'xz-utils', 'zstd'], { name: 'tools' })
    .file(D, { state: 'directory', mode: 0o755, name: 'dir' })
    .download(`${srv.url}/tool.txt`, `${D}/tool.txt`, { sha256: TOOL_SUM, mode: 0o600, owner: 'nobody', headers: { 'X-Test': 'lab' }, name: 'download tool' })
    .download(`${srv.url}/app-1.0.tar.gz`, `${D}/app-1.0.tar.gz`, { sha256: APP_SUM, name: 'download app' })
    .unarchive(`${D}/app-1.0.tar.gz`, `${D}/app`, { remote: true, stripComponents: 1, owner: 'nobody', name: 'unarchive app' })
    .unarchive(join(local.dir, 'site.zip'), `${D}/site`, { name: 'unarchive site' });
  return p;
}

test('check mode on a fresh host says what would change and fetches nothing', async () => {
  const r = await deploy(project(), { check: true });
  for (const n of ['download tool', 'download app', 'unarchive app', 'unarchive site']) {
    assert.is(r.byName.get(n)?.status, 'changed', `${n}: ${r.byName.get(n)?.status} ${why(r)}`);
  }
  assert.is(gets(), 0, 'no GET in check mode');
  assert.is(await on(`test -e ${D}/tool.txt && echo yes || echo no`), 'no');
});

test('first run downloads and extracts, the second changes nothing and fetches nothing', async () => {
  const first = await deploy(project());
  assert.is(first.result.exitCode, 0, why(first));
  for (const n of NAMES) assert.is(first.byName.get(n)?.status, 'changed', `run 1: ${n}`);
  assert.is(gets(), 2, 'one GET per download');
  assert.ok(srv.requests.some((r) => r.path === '/tool.txt' && r.headers['x-test'] === 'lab'), 'the header was sent');
  const second = await deploy(project());
  assert.is(second.result.exitCode, 0, why(second));
  for (const n of NAMES) assert.is(second.byName.get(n)?.status, 'ok', `run 2: ${n} ${JSON.stringify(second.byName.get(n)?.changes)}`);
  assert.is(second.result.hosts['dl-01']?.changed, 0);
  assert.is(gets(), 2, 'no new GET on the second run');
});

test('the host holds what was downloaded and extracted', async () => {
  assert.is(await on(`stat -c '%a %U' ${D}/tool.txt; sudo cat ${D}/tool.txt`), '600 nobody\na tool');
  assert.is(await on(`sha256sum < ${D}/app-1.0.tar.gz | cut -d' ' -f1`), APP_SUM);
  assert.is(await on(`cat ${D}/app/README; stat -c %U ${D}/app/bin/app; ${D}/app/bin/app`), 'app 1.0\nnobody\napp');
  assert.is(await on(`cat ${D}/site/app-1.0/README`), 'app 1.0');
  assert.is(await on(`ls -a ${D} | grep -c shipshape || true`), '0', 'no temp file, dir or upload left');
});

test('a wrong sha256 fails naming both checksums and leaves no dest and no temp file', async () => {
  const p = createProject();
  target(p).download(`${srv.url}/tool.txt`, `${D}/bad.txt`, { sha256: '0'.repeat(64), name: 'bad sum' });
  const r = await deploy(p);
  assert.is(r.result.exitCode, 2);
  const text = r.byName.get('bad sum')?.error?.explain() ?? '';
  assert.match(text, `expected ${'0'.repeat(64)}, got ${TOOL_SUM}`);
  assert.is(await on(`ls -a ${D} | grep -c -e bad.txt -e shipshape || true`), '0');
});

test('a 404 is an error with the status', async () => {
  const p = createProject();
  target(p).download(`${srv.url}/missing.bin`, `${D}/missing.bin`, { name: 'missing' });
  const r = await deploy(p);
  assert.is(r.result.exitCode, 2);
  assert.match(r.byName.get('missing')?.error?.explain() ?? '', `HTTP status 404 from ${srv.url}/missing.bin`);
});

test('with curl hidden, the host fetches with wget', async () => {
  await on('apt-get install -y -q wget >/dev/null 2>&1 || sudo apt-get install -y -q wget >/dev/null 2>&1; true');
  const script = fetchScript({ url: `${srv.url}/tool.txt`, dest: '/tmp/via-wget.txt', sha256: TOOL_SUM }, { type: 'absent' }, 'dl-01');
  const nocurl = 'mkdir -p /tmp/nocurl && for f in /usr/bin/*; do [ "${f##*/}" = curl ] || ln -sf "$f" /tmp/nocurl/; done';
  const before = gets();
  const r = await ssh(host, `sudo sh -c ${quote(`${nocurl}; command -v wget >/dev/null || exit 99; PATH=/tmp/nocurl:/usr/sbin:/sbin sh -c ${quote(script)}`)}`);
  if (r.code === 99) return console.log('  (wget could not be installed on the lab host: skipped)');
  assert.is(r.code, 0, r.stderr);
  assert.is(await on('cat /tmp/via-wget.txt'), 'a tool');
  assert.is(gets(), before + 1);
  assert.ok(srv.requests.at(-1)?.headers['user-agent']?.toString().startsWith('Wget'), 'fetched by wget');
});

test.run();
