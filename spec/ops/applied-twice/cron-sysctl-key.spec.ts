// cron, sysctl and authorizedKey applied twice on one real lab host (become from vagrant): the
// first run changes, the second changes nothing, and the host shows the result over ssh; check
// mode with --diff changes nothing; a fresh key lets ssh in, and once absent no longer does; an
// unknown kernel parameter fails naming host, task and key. Needs root. Port 24117.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createProject } from '../../../lib/dsl/project.js';
import { ssh } from '../../support/lab.js';
import { tmpDir } from '../../support/tmp.js';
import { deploy, expectAll, labSuite, why } from './lab-run.js';

const HOST = 'cron-01';
const local = tmpDir('ss-cron-sysctl-key-');
const lab = labSuite(test, HOST, 24117, async () => undefined, async () => local.cleanup());

// A fresh key pair, made here: only the op can make the host accept it.
const keyFile = join(local.dir, 'id_ed25519');
const made = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'spec@example.org', '-f', keyFile]);
if (made.status !== 0) throw new Error(`ssh-keygen failed: ${made.stderr}`);
const PUB = readFileSync(`${keyFile}.pub`, 'utf8').trim();

const JOB = { schedule: '*/5 * * * *', command: 'date +\\%s > /tmp/ss-cron-ran', user: 'vagrant' };
const CRON_TEXT = '# managed by shipshape: ss-tick\n*/5 * * * * vagrant date +\\%s > /tmp/ss-cron-ran\n';

function present(o: { somaxconn?: number; schedule?: string } = {}) {
  const p = createProject();
  lab.target(p)
    .apt(['cron'], { updateCache: true, cacheValidTime: 3600, name: 'apt cron' })
    .cron('ss-tick', { ...JOB, schedule: o.schedule ?? JOB.schedule, name: 'cron job' })
    .sysctl('net.ipv4.ip_forward', 1, { name: 'sysctl ip_forward' })
    .sysctl('net.core.somaxconn', o.somaxconn ?? 1024, { name: 'sysctl somaxconn' })
    .sysctl('net.ipv4.ip_local_port_range', '20000 60999', { persist: false, name: 'sysctl port range' })
    .authorizedKey('vagrant', PUB, { name: 'authorized key' });
  return p;
}
const NAMES = ['cron job', 'sysctl ip_forward', 'sysctl somaxconn', 'sysctl port range', 'authorized key'];

function absent() {
  const p = createProject();
  lab.target(p)
    .cron('ss-tick', { state: 'absent', name: 'cron absent' })
    .authorizedKey('vagrant', PUB, { state: 'absent', name: 'key absent' });
  return p;
}

let aptChanges = true;

test('cron, sysctl and authorizedKey change the host on the first run and nothing on the second', async () => {
  aptChanges = (await lab.on("dpkg-query -W -f '${Status}' cron 2>/dev/null || true")).out !== 'install ok installed';
  const before = await lab.on('cat /proc/sys/net/ipv4/ip_forward /proc/sys/net/core/somaxconn');
  assert.is.not(before.out, '1\n1024', 'the lab host starts with other values');
  const first = await deploy(present());
  expectAll(first, HOST, [...(aptChanges ? ['apt cron'] : []), ...NAMES], 'changed', 'run 1');
  const second = await deploy(present());
  expectAll(second, HOST, ['apt cron', ...NAMES], 'ok', 'run 2');
  assert.is(second.result.hosts[HOST]?.changed, 0);
});

test('the host shows the cron file, the kernel values and their files', async () => {
  assert.is((await lab.on('cat /etc/cron.d/ss-tick')).stdout, CRON_TEXT, 'cron: content');
  assert.is((await lab.on("stat -c '%a %U %G' /etc/cron.d/ss-tick")).out, '644 root root', 'cron: mode and owner cron wants');
  assert.is((await lab.on('ls -A /etc/cron.d | grep -c shipshape-tmp || true')).out, '0', 'cron: no temp file left for cron to read');
  const running = (await lab.on('pidof cron >/dev/null && echo running || echo "not running"')).out;
  console.log(`  cron daemon on the lab host: ${running}`);
  assert.is((await lab.on('cat /proc/sys/net/ipv4/ip_forward /proc/sys/net/core/somaxconn')).out, '1\n1024', 'sysctl: values set now');
  assert.is((await lab.on('cat /proc/sys/net/ipv4/ip_local_port_range')).out, '20000\t60999', 'sysctl: a multi-value key');
  assert.is((await lab.on('cat /etc/sysctl.d/99-shipshape-net.core.somaxconn.conf')).stdout, '# managed by shipshape\nnet.core.somaxconn = 1024\n', 'sysctl: persisted');
  assert.is((await lab.on("stat -c '%a %U' /etc/sysctl.d/99-shipshape-net.ipv4.ip_forward.conf")).out, '644 root', 'sysctl: file mode');
  assert.is((await lab.on('test -e /etc/sysctl.d/99-shipshape-net.ipv4.ip_local_port_range.conf && echo yes || echo no')).out, 'no', 'sysctl: persist false writes no file');
});

test('the fresh key lets ssh in as vagrant; the lab\'s own key still works', async () => {
  const r = await ssh(lab.host(), 'echo in-with-the-new-key', { identity: keyFile });
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout.trim(), 'in-with-the-new-key');
  assert.is((await lab.on("stat -c '%a %U' ~/.ssh ~/.ssh/authorized_keys")).out, '700 vagrant\n600 vagrant', 'modes sshd wants');
  assert.is((await lab.on('grep -c . ~/.ssh/authorized_keys')).out, String(Number((await lab.on('grep -vc spec@example.org ~/.ssh/authorized_keys')).out) + 1), 'one line added');
});

test('check mode with --diff reports cron and sysctl file changes and leaves the host alone', async () => {
  const snap = 'sha256sum /etc/cron.d/ss-tick /etc/sysctl.d/99-shipshape-net.core.somaxconn.conf; cat /proc/sys/net/core/somaxconn';
  const before = (await lab.on(snap)).out;
  const r = await deploy(present({ somaxconn: 2048, schedule: '0 4 * * *' }), { check: true, diff: true });
  assert.is(r.result.exitCode, 0, why(r));
  assert.ok(r.result.check);
  const cron = r.byName.get('cron job')!;
  assert.is(cron.status, 'changed');
  assert.is(cron.changes[0]!.content!.before, CRON_TEXT);
  assert.match(cron.changes[0]!.content!.after, '0 4 * * * vagrant');
  const sc = r.byName.get('sysctl somaxconn')!;
  assert.is(sc.status, 'changed');
  assert.equal(sc.changes.map((c) => [c.what, c.before, c.after]).slice(0, 1), [['value', '1024', '2048']]);
  assert.match(sc.changes[1]!.content!.after, 'net.core.somaxconn = 2048');
  assert.is(r.byName.get('authorized key')!.status, 'ok');
  assert.is(r.result.hosts[HOST]?.changed, 2);
  assert.is((await lab.on(snap)).out, before, 'host untouched');
});

test('an unknown kernel parameter fails naming host, task and key; check mode says it would fail', async () => {
  const build = () => {
    const p = createProject();
    lab.target(p).sysctl('net.core.no_such_knob', 1, { name: 'sysctl unknown' });
    return p;
  };
  const r = await deploy(build());
  assert.is(r.result.exitCode, 2);
  const t = r.byName.get('sysctl unknown')!;
  assert.is(t.status, 'failed');
  const text = t.error!.explain();
  assert.match(text, `sysctl key net.core.no_such_knob does not exist on ${HOST}`);
  assert.match(text, `host:    ${HOST}`);
  assert.match(text, 'task:    sysctl unknown');
  const c = await deploy(build(), { check: true });
  assert.is(c.byName.get('sysctl unknown')!.status, 'failed', 'check mode fails too');
  assert.match(c.byName.get('sysctl unknown')!.error!.message, /would fail: sysctl key net.core.no_such_knob does not exist/);
});

test('absent removes the cron file and the key once, then does nothing; the key no longer lets ssh in', async () => {
  const first = await deploy(absent());
  expectAll(first, HOST, ['cron absent', 'key absent'], 'changed', 'absent run 1');
  const second = await deploy(absent());
  expectAll(second, HOST, ['cron absent', 'key absent'], 'ok', 'absent run 2');
  assert.is((await lab.on('test -e /etc/cron.d/ss-tick && echo yes || echo gone')).out, 'gone');
  assert.is((await lab.on('grep -c spec@example.org ~/.ssh/authorized_keys || true')).out, '0');
  const r = await ssh(lab.host(), 'echo still-in', { identity: keyFile });
  assert.is.not(r.code, 0, 'the removed key is refused');
  assert.is((await lab.on('echo lab-key-works')).out, 'lab-key-works', 'the other lines were kept');
});

test.run();
