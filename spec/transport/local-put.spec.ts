// Uploads through the shell writer (putScript) on this machine: LocalTransport.put and the
// script itself fed by a stdin the test controls. Renamed over, never rewritten in place;
// input cut short is refused; a temp file swapped for a symlink changes nothing elsewhere;
// a killed controller leaves the old file and no temp file (or one the next upload removes).
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { linkSync, lstatSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LocalTransport } from '../../lib/transport/local.js';
import { putHeader, putInput, putScript } from '../../lib/transport/put-script.js';
import { tmpDir } from '../support/tmp.js';
import { killHard, rejects, startPutChild, waitUntil } from './helpers.js';

const t = new LocalTransport();
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
/** Entries of `dir` other than the given names: temp files, whatever their naming. */
const others = (dir: string, ...names: string[]) => readdirSync(dir).filter((n) => !names.includes(n));

test('replaces a file by renaming over it: readers see the old or the new content, never part', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    const a = Buffer.alloc(1024 * 1024, 'a');
    const b = Buffer.alloc(1024 * 1024, 'b');
    const f = join(dir, 'big');
    await t.put(f, a);
    // A second name for the first version: an in-place rewrite would show through it.
    linkSync(f, join(dir, 'first-version'));
    let reading = true;
    const reader = t.exec(`n=0; while [ $n -lt 300 ]; do
      s=$(wc -c < ${f}); [ "$s" = 1048576 ] || echo "BAD SIZE $s"
      n=$((n+1)); done; echo reads=$n`).finally(() => { reading = false; });
    let puts = 0;
    while (reading) await t.put(f, puts++ % 2 ? a : b);
    assert.is((await reader).stdout, 'reads=300\n');
    assert.ok(puts >= 3, `only ${puts} uploads while reading`);
    assert.is(statSync(f).nlink, 1, 'the target is a new file');
    assert.is(sha(readFileSync(join(dir, 'first-version'))), sha(a), 'the first version was not rewritten in place');
    assert.equal(others(dir, 'big', 'first-version'), []);
  } finally {
    cleanup();
  }
});

test('refuses input shorter or other than promised, keeping the old file and no temp file', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    const f = join(dir, 'conf');
    writeFileSync(f, 'old\n');
    const promised = Buffer.from('a whole new file\n');
    const script = putScript(f, { mode: 0o644 });
    const header = putHeader(promised);
    const cut = await t.exec(script, { stdin: Buffer.concat([header, promised.subarray(0, 7)]) });
    assert.is(cut.code, 1);
    assert.match(cut.stderr, `received 7 of ${promised.length} bytes`);
    assert.match(cut.stderr, 'cut short');
    const other = await t.exec(script, { stdin: Buffer.concat([header, Buffer.from('a whole new fil!\n')]) });
    assert.is(other.code, 1);
    assert.match(other.stderr, `received ${promised.length} of ${promised.length} bytes, not what was sent`);
    for (const bad of ['', 'x y\n', `17 ${'g'.repeat(64)}\n`, '17 abc\n']) {
      const r = await t.exec(script, { stdin: bad + 'a whole new file\n' });
      assert.is(r.code, 1, JSON.stringify(bad));
      assert.match(r.stderr, /no upload header|bad upload header/);
    }
    assert.is(readFileSync(f, 'utf8'), 'old\n');
    assert.equal(others(dir, 'conf'), []);
    assert.is((await t.exec(script, { stdin: putInput(promised) })).code, 0);
    assert.is(readFileSync(f, 'utf8'), 'a whole new file\n');
    // Past 1 MiB the check hashes with openssl when the host has it.
    const big = Buffer.alloc(3 * 1024 * 1024 + 5, 'b');
    const short = await t.exec(script, { stdin: Buffer.concat([putHeader(big), big.subarray(0, 2 * 1024 * 1024)]) });
    assert.is(short.code, 1);
    assert.match(short.stderr, `received ${2 * 1024 * 1024} of ${big.length} bytes`);
    assert.is(readFileSync(f, 'utf8'), 'a whole new file\n');
    assert.is((await t.exec(script, { stdin: putInput(big) })).code, 0);
    assert.is(sha(readFileSync(f)), sha(big));
    assert.equal(others(dir, 'conf'), []);
  } finally {
    cleanup();
  }
});

test('keeps the checksum of the content off the command line and out of errors (it would give a short secret away)', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    const f = join(dir, 'token');
    const content = Buffer.from('pin=4711\n');
    const sum = sha(content);
    const script = putScript(f, { mode: 0o600 });
    assert.not.match(script, sum);
    const r = await t.exec(script, { stdin: Buffer.concat([putHeader(content), Buffer.from('pin=4712\n')]) });
    assert.is(r.code, 1);
    assert.not.match(r.stderr, sum);
    assert.not.match(r.stderr, sha('pin=4712\n'));
    await t.put(f, content, { mode: 0o600 });
    assert.is(readFileSync(f, 'utf8'), 'pin=4711\n');
  } finally {
    cleanup();
  }
});

test('a temp file swapped for a symlink mid-upload changes nothing elsewhere and is not renamed in', async () => {
  const { dir, cleanup } = tmpDir();
  const outside = tmpDir('ss-victim-');
  let sh: ChildProcess | undefined;
  try {
    const f = join(dir, 'app.conf');
    writeFileSync(f, 'old\n');
    const victim = join(outside.dir, 'shadow');
    writeFileSync(victim, 'precious\n', { mode: 0o600 });
    const before = lstatSync(victim);
    const data = Buffer.alloc(256 * 1024, 'n');
    // The writer reads from a pipe this test holds: half the data, the swap, then the rest.
    const w = spawn('/bin/sh', ['-c', putScript(f, { mode: 0o644, owner: 'nobody' })], { stdio: ['pipe', 'ignore', 'pipe'] });
    sh = w;
    let stderr = '';
    w.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const exited = new Promise<number | null>((r) => w.on('close', r));
    w.stdin.write(putHeader(data));
    w.stdin.write(data.subarray(0, data.length / 2));
    let temp = '';
    await waitUntil(() => {
      temp = others(dir, 'app.conf').find((n) => lstatSync(join(dir, n)).size > 0) ?? '';
      return temp !== '';
    }, 10_000, 'the temp file filling');
    rmSync(join(dir, temp));
    symlinkSync(victim, join(dir, temp));
    w.stdin.end(data.subarray(data.length / 2));
    const code = await exited;
    const after = lstatSync(victim);
    assert.is(readFileSync(victim, 'utf8'), 'precious\n', 'the symlink target was not written');
    assert.is((after.mode & 0o7777).toString(8), (before.mode & 0o7777).toString(8), 'nor chmodded');
    assert.is(`${after.uid}:${after.gid}`, `${before.uid}:${before.gid}`, 'nor chowned');
    assert.ok(!lstatSync(f).isSymbolicLink(), 'the planted symlink was not renamed over the target');
    assert.is(readFileSync(f, 'utf8'), 'old\n');
    assert.is(code, 1);
    assert.match(stderr, 'was replaced while it was written');
  } finally {
    if (sh?.exitCode === null) sh.kill('SIGKILL');
    cleanup();
    outside.cleanup();
  }
});

test('keeps the old file and leaves no temp file when the controller is killed mid-upload', async () => {
  const { dir, cleanup } = tmpDir();
  let child: ChildProcess | undefined;
  try {
    const f = join(dir, 'big.bin');
    writeFileSync(f, 'old\n');
    // big enough that the kill lands mid-upload on a fast disk too (50 MiB did not, once)
    child = await startPutChild({ path: f, size: 400 * 1024 * 1024, fill: 'k' });
    await waitUntil(() => others(dir, 'big.bin').some((n) => lstatSync(join(dir, n)).size > 0), 30_000, 'the upload starting');
    await killHard(child);
    // The writer sees end of input; it must neither rename a truncated file nor leave it.
    await waitUntil(() => others(dir, 'big.bin').length === 0, 30_000, 'the writer ending');
    assert.is(readFileSync(f, 'utf8'), 'old\n');
  } finally {
    if (child) await killHard(child);
    cleanup();
  }
});

test('a temp file left by a writer killed outright is removed by the next upload into that folder', async () => {
  const { dir, cleanup } = tmpDir();
  let child: ChildProcess | undefined;
  try {
    const f = join(dir, 'big.bin');
    writeFileSync(f, 'old\n');
    // big enough that the kill lands mid-upload on a fast disk too (50 MiB did not, once)
    child = await startPutChild({ path: f, size: 400 * 1024 * 1024, fill: 'k' });
    await waitUntil(() => others(dir, 'big.bin').some((n) => lstatSync(join(dir, n)).size > 0), 30_000, 'the upload starting');
    // kill -9 of everything: the controller and the writer's own process group.
    const writers = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    assert.ok(writers.length > 0, 'the writer shell is a child of the controller');
    for (const p of writers) process.kill(-p, 'SIGKILL');
    await killHard(child);
    await waitUntil(() => writers.every((p) => !isAlive(p)), 10_000, 'the writer dying');
    const left = others(dir, 'big.bin');
    assert.is(left.length, 1, 'a writer killed outright cannot clean up: one temp file is left');
    assert.is(readFileSync(f, 'utf8'), 'old\n');
    await t.put(join(dir, 'other.conf'), 'next run\n');
    assert.equal(others(dir, 'big.bin', 'other.conf'), [], `${left[0]} removed by the next upload`);
  } finally {
    if (child) await killHard(child);
    cleanup();
  }
});

test('a writer signalled mid-upload (TERM, INT, HUP) removes its temp file and keeps the old file', async () => {
  const { dir, cleanup } = tmpDir();
  let sh: ChildProcess | undefined;
  try {
    const f = join(dir, 'conf');
    writeFileSync(f, 'old\n');
    const data = Buffer.alloc(256 * 1024, 'n');
    for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
      // Its own process group, as the local transport runs commands: the signal reaches cat too.
      const w = spawn('/bin/sh', ['-c', putScript(f, { mode: 0o644 })], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
      sh = w;
      const exited = new Promise<number | null>((r) => w.on('close', r));
      w.stdin.write(putHeader(data));
      w.stdin.write(data.subarray(0, 1000));
      await waitUntil(() => others(dir, 'conf').some((n) => lstatSync(join(dir, n)).size > 0), 10_000, 'the upload starting');
      process.kill(-w.pid!, sig);
      assert.is.not(await exited, 0, sig);
      assert.equal(others(dir, 'conf'), [], `no temp file after ${sig}`);
      assert.is(readFileSync(f, 'utf8'), 'old\n');
    }
  } finally {
    if (sh?.exitCode === null) sh.kill('SIGKILL');
    cleanup();
  }
});

test('keeps a temp file whose writer is still running', async () => {
  const { dir, cleanup } = tmpDir();
  let sh: ChildProcess | undefined;
  try {
    const f = join(dir, 'slow');
    const data = Buffer.alloc(64 * 1024, 's');
    const w = spawn('/bin/sh', ['-c', putScript(f, { mode: 0o600 })], { stdio: ['pipe', 'ignore', 'ignore'] });
    sh = w;
    const exited = new Promise<number | null>((r) => w.on('close', r));
    w.stdin.write(putHeader(data));
    w.stdin.write(data.subarray(0, 1000));
    await waitUntil(() => others(dir).some((n) => lstatSync(join(dir, n)).size > 0), 10_000, 'the slow upload starting');
    await t.put(join(dir, 'fast'), 'x');
    w.stdin.end(data.subarray(1000));
    assert.is(await exited, 0, 'the slow upload finished: its temp file was not swept away');
    assert.is(sha(readFileSync(f)), sha(data));
    assert.equal(others(dir, 'slow', 'fast'), []);
  } finally {
    if (sh?.exitCode === null) sh.kill('SIGKILL');
    cleanup();
  }
});

test('sets owner, then mode, so setgid survives a chown; refuses a directory in the way', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    await t.put(join(dir, 'tool'), '#!/bin/sh\n', { mode: 0o2755, owner: 'nobody', group: 'nogroup' });
    const st = statSync(join(dir, 'tool'));
    assert.is((st.mode & 0o7777).toString(8), '2755');
    assert.is(st.uid, 65534);
    await t.exec(`mkdir ${dir}/sub`);
    await rejects(t.put(join(dir, 'sub'), 'x'), /could not write/);
    assert.ok(statSync(join(dir, 'sub')).isDirectory());
    assert.equal(others(dir, 'tool', 'sub'), []);
  } finally {
    cleanup();
  }
});

function isAlive(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

test.run();
