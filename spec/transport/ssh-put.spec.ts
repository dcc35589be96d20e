// Uploads over a real SSH connection: atomic, with mode and owner, big files, no SFTP;
// checked against their sha256 before the rename; leftovers of dead uploads removed.
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connectSsh, type SshConnectOptions, type SshTransport } from '../../lib/transport/ssh.js';
import { beforeAll } from '../support/before-all.js';
import { startSshd, type Sshd } from '../support/sshd.js';
import { finishUploadScript, putHeader, TEMP_PREFIX } from '../../lib/transport/put-script.js';
import { killHard, rejects, startPutChild, waitUntil } from './helpers.js';

let s: Sshd;
let t: SshTransport;
let dir: string;
beforeAll(test, 'starting sshd and connecting', async () => {
  s = await startSshd();
  t = await connectSsh(base());
  dir = join(s.dir, 'files');
  mkdirSync(dir);
});
test.after(async () => {
  await t?.close();
  await s?.stop();
});

function base(): SshConnectOptions {
  return {
    host: 'lo', address: s.address, port: s.port, user: 'root', privateKey: s.userKey,
    knownHostsFile: s.knownHosts, agent: false, sshConfigFile: false, retries: 0,
  };
}
const sh = async (cmd: string) => (await t.exec(cmd)).stdout;
const leftovers = async () => (await sh(`ls -A ${dir} | grep shipshape || true`)).trim();

test('puts a file with its mode and leaves no temp file', async () => {
  await t.put(`${dir}/motd`, 'managed by shipshape\n', { mode: 0o640 });
  assert.is(await sh(`stat -c '%a %U %G' ${dir}/motd; cat ${dir}/motd`), '640 root root\nmanaged by shipshape\n');
  await t.put(`${dir}/default-mode`, 'x');
  assert.is(await sh(`stat -c '%a' ${dir}/default-mode`), '644\n');
  assert.is(await leftovers(), '');
});

test('sets owner and group by name', async () => {
  await t.put(`${dir}/owned`, 'secret\n', { mode: 0o600, owner: 'nobody', group: 'nogroup' });
  assert.is(await sh(`stat -c '%a %U %G' ${dir}/owned`), '600 nobody nogroup\n');
  assert.is(await leftovers(), '');
});

test('replaces a file by renaming over it: readers see the old or the new content, never part', async () => {
  const a = Buffer.alloc(1024 * 1024, 'a');
  const b = Buffer.alloc(1024 * 1024, 'b');
  await t.put(`${dir}/big`, a);
  // A second name for the first version: an in-place rewrite would show through it.
  await t.exec(`ln ${dir}/big ${dir}/first-version`);
  // A reader on the host checks the file's size 300 times while uploads keep replacing it.
  let reading = true;
  const reader = t.exec(`n=0; while [ $n -lt 300 ]; do
    s=$(wc -c < ${dir}/big); [ "$s" = 1048576 ] || echo "BAD SIZE $s"
    n=$((n+1)); done; echo reads=$n`).finally(() => { reading = false; });
  let puts = 0;
  while (reading) await t.put(`${dir}/big`, puts++ % 2 ? a : b);
  const r = await reader;
  assert.is(r.stdout, 'reads=300\n');
  assert.ok(puts >= 3, `only ${puts} uploads while reading`);
  assert.is(await sh(`stat -c %h ${dir}/big; tr -d a < ${dir}/first-version | wc -c`), '1\n0\n', 'renamed over, not rewritten in place');
  assert.is(await leftovers(), '');
});

test('puts a 1 MB file intact', async () => {
  const data = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7919) % 251;
  await t.put(`${dir}/random.bin`, data, { mode: 0o600 });
  assert.is((await sh(`sha256sum < ${dir}/random.bin`)).split(' ')[0], createHash('sha256').update(data).digest('hex'));
});

test('keeps the old file and removes the temp file when the upload fails', async () => {
  await t.put(`${dir}/keep`, 'old\n');
  const e = await rejects(t.put(`${dir}/keep`, 'new\n', { owner: 'no-such-user-xyz' }), /could not write .*keep/);
  assert.match(e.stderr ?? '', /invalid user|no-such-user-xyz/);
  assert.is(await sh(`cat ${dir}/keep`), 'old\n');
  assert.is(await leftovers(), '');
  await rejects(t.put(`${dir}/missing-dir/file`, 'x'), /could not write .*missing-dir\/file/);
});

test('puts through the shell with the same guarantees when the server has no SFTP', async () => {
  const nosftp = await startSshd({ sftp: false });
  const u = await connectSsh({ ...base(), port: nosftp.port, privateKey: nosftp.userKey, knownHostsFile: nosftp.knownHosts });
  try {
    await u.put(`${nosftp.dir}/via-shell`, 'hello\n', { mode: 0o604, owner: 'nobody' });
    assert.is((await u.exec(`stat -c '%a %U' ${nosftp.dir}/via-shell; cat ${nosftp.dir}/via-shell`)).stdout, '604 nobody\nhello\n');
    assert.is((await u.exec(`ls -A ${nosftp.dir} | grep shipshape || true`)).stdout, '');
  } finally {
    await u.close();
    await nosftp.stop();
  }
});

test('through the shell (no SFTP), replaces by renaming over: a reader and a hard link see no partial or in-place write', async () => {
  const nosftp = await startSshd({ sftp: false });
  const u = await connectSsh({ ...base(), port: nosftp.port, privateKey: nosftp.userKey, knownHostsFile: nosftp.knownHosts });
  const d = join(nosftp.dir, 'files');
  try {
    await u.exec(`mkdir ${d}`);
    const a = Buffer.alloc(1024 * 1024, 'a');
    const b = Buffer.alloc(1024 * 1024, 'b');
    await u.put(`${d}/big`, a);
    await u.exec(`ln ${d}/big ${d}/first-version`);
    let reading = true;
    const reader = u.exec(`n=0; while [ $n -lt 300 ]; do
      s=$(wc -c < ${d}/big); [ "$s" = 1048576 ] || echo "BAD SIZE $s"
      n=$((n+1)); done; echo reads=$n`).finally(() => { reading = false; });
    let puts = 0;
    while (reading) await u.put(`${d}/big`, puts++ % 2 ? a : b);
    assert.is((await reader).stdout, 'reads=300\n');
    assert.ok(puts >= 3, `only ${puts} uploads while reading`);
    assert.is((await u.exec(`stat -c %h ${d}/big; tr -d a < ${d}/first-version | wc -c; ls -A ${d}`)).stdout, '1\n0\nbig\nfirst-version\n');
  } finally {
    await u.close();
    await nosftp.stop();
  }
});

test('over SFTP, the data is checked against its sha256 before the rename, and a swapped temp file is refused', async () => {
  await t.put(`${dir}/checked`, 'old\n');
  const data = Buffer.from('new\n');
  // The finishing step alone, on temp files this test prepared.
  const tmp = `${dir}/${TEMP_PREFIX}1.manual`;
  await t.exec(`printf 'new!' > ${tmp}`);
  const bad = await t.exec(finishUploadScript(tmp, `${dir}/checked`, { mode: 0o644 }), { stdin: putHeader(data) });
  assert.is(bad.code, 1);
  assert.match(bad.stderr, 'received 4 of 4 bytes');
  await t.exec(`printf 'precious' > ${dir}/../victim; chmod 600 ${dir}/../victim; ln -s ../victim ${tmp}`);
  const swapped = await t.exec(finishUploadScript(tmp, `${dir}/checked`, { mode: 0o644, owner: 'nobody' }), { stdin: putHeader(Buffer.from('precious')) });
  assert.is(swapped.code, 1);
  assert.match(swapped.stderr, 'is not the file that was uploaded');
  assert.is(await sh(`stat -c '%a %U' ${dir}/../victim; cat ${dir}/checked; test -h ${tmp} && echo still-a-link; rm ${tmp}`), '600 root\nold\nstill-a-link\n');
  assert.is(await leftovers(), '');
});

test('over SFTP, a temp file left by a dropped connection is removed by the next upload into its folder', async () => {
  await t.put(`${dir}/dropped.bin`, 'old\n');
  const child = await startPutChild({ ssh: base(), path: `${dir}/dropped.bin`, size: 30 * 1024 * 1024, fill: 'd' });
  let temp = '';
  await waitUntil(async () => {
    temp = (await sh(`find ${dir} -maxdepth 1 -name '${TEMP_PREFIX}*' -size +0`)).trim();
    return temp !== '';
  }, 30_000, 'the SFTP upload starting');
  const pid = Number(/\.shipshape-tmp\.(\d+)\./.exec(temp)?.[1]);
  assert.ok(pid > 0, `the temp file ${temp} names the sshd session`);
  await killHard(child);
  await waitUntil(async () => (await sh(`test -d /proc/${pid} && echo alive || echo gone`)) === 'gone\n', 30_000, 'the dropped session ending');
  assert.is(await sh(`cat ${dir}/dropped.bin; ls -A ${dir} | grep -c ${TEMP_PREFIX}`), 'old\n1\n', 'the target is intact; the dead upload left its temp file');
  await t.put(`${dir}/next`, 'x');
  assert.is(await leftovers(), '', 'removed by the next upload');
});

test.run();
