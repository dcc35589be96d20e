// Faults on real hosts: one 10-host lab (flt-01..flt-10) for the whole file, a light plan per
// host (directories, small files, a template, a 4 MB copy, an apt install from the lab's
// repository), and one fault per test on one host: sshd killed, network link dropped, dpkg
// lock held, file system full, sudo wanting a password, host restarted. For each: the other
// hosts converge, exit code and recap say what happened, no managed file on any host is ever
// half-written (sha256 of each is one the plan wrote, or absent), a rerun converges, and no
// upload temp file is left. Times to detection are measured and printed, never asserted.
// Needs root. Ports 23701-23710.
import { randomBytes, createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createProject } from '../../lib/dsl/project.js';
import { deployProject, type DeployResult } from '../../lib/engine/deploy.js';
import { labReset, labUp, type LabHost } from '../../lib/lab/index.js';
import { isAlive } from '../../lib/lab/proc.js';
import { run as sys } from '../../lib/lab/run.js';
import type { EngineEvent, TaskResult } from '../../lib/report/events.js';
import { plainReporter } from '../../lib/report/plain.js';
import { hostPids, labState, ssh, waitUntil, withLab } from '../support/lab.js';
import { tmpDir } from '../support/tmp.js';

const NAMES = Array.from({ length: 10 }, (_, i) => `flt-${String(i + 1).padStart(2, '0')}`);
const cluster = { nodes: NAMES.map((n, i) => ({ host_name: n, port_mappings: [{ guest_port: 22, host_port: 23701 + i, host_ip: '127.0.0.1' }] })) };
const D = '/opt/flt';
const BIG = `${D}/data/big.bin`;
const TEMPLATE = '# written by the faults spec\ngen={{gen}}\n';
const local = tmpDir('ss-faults-');
const started = performance.now();

let file = '';
let hosts: LabHost[] = [];
let release: () => void = () => undefined;
let lab: Promise<void> | undefined;
let labError: unknown;
/** One row per fault for the closing table: what, time to detection and how it was measured, outcome. */
const measured: string[] = [];

test.before(async () => {
  await new Promise<void>((ready, fail) => {
    const held = new Promise<void>((r) => { release = r; });
    lab = withLab(cluster, async (h, f) => { hosts = h; file = f; ready(); await held; });
    lab.catch(fail);
  }).catch((e: unknown) => { labError = e; });
});

// uvu swallows an error thrown by a before hook: fail every test with it instead. Each test
// starts from a healthy lab: a test that failed before repairing its host does not fail the next.
test.before.each(async () => {
  if (labError) {
    const e = labError as Error & { explain?: () => string };
    throw new Error(`lab up failed: ${e.explain?.() ?? e.stack ?? String(e)}`);
  }
  hosts = await labUp(file);
});

test.after(async () => {
  release();
  await lab?.catch(() => undefined);
  local.cleanup();
  console.log(['', 'faults: time to detection and outcome', ...measured.map((m) => `  ${m}`),
    `faults total ${((performance.now() - started) / 1000).toFixed(1)} s`].join('\n'));
});

const host = (name: string) => hosts.find((h) => h.name === name)!;
const sha = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');

/** What the plan of generation `gen` writes: path → content. The 4 MB file is random per generation. */
const generations = new Map<number, Map<string, Buffer>>();
function wanted(gen: number): Map<string, Buffer> {
  let g = generations.get(gen);
  if (!g) {
    g = new Map<string, Buffer>([
      [`${D}/a.txt`, Buffer.from(`faults spec, generation ${gen}: a\n`)],
      [`${D}/etc/b.conf`, Buffer.from(`b = ${gen}\n`.repeat(500))],
      [`${D}/etc/app.conf`, Buffer.from(TEMPLATE.replace('{{gen}}', String(gen)))],
      [BIG, randomBytes(4 * 1024 * 1024)],
    ]);
    writeFileSync(join(local.dir, `big-${gen}.bin`), g.get(BIG)!);
    generations.set(gen, g);
  }
  return g;
}

interface Run {
  result: DeployResult;
  /** Events with the time they arrived (performance.now()). */
  events: { at: number; e: EngineEvent }[];
  /** The plain reporter's output: status lines, errors, recap. */
  text: string;
  /** The first task-end on `host` with this status, and when it arrived. */
  first(host: string, status: TaskResult['status']): { at: number; name: string; result: TaskResult } | undefined;
}

interface Started {
  done: Promise<Run>;
  /** Resolves when `name` starts on `host`. */
  reached(host: string, name: string): Promise<number>;
}

/**
 * Deploys generation `gen` to all 10 hosts, quietly, over SSH. With `gate`, that host waits
 * after the big copy (until a marker that never comes, bounded) so a fault lands mid-run.
 */
function start(gen: number, o: { gate?: string } = {}): Started {
  const files = wanted(gen);
  const p = createProject();
  p.inventory.load(file);
  p.group('all')
    .file(D, { state: 'directory', mode: 0o755, name: 'dir' })
    .file(`${D}/etc`, { state: 'directory', mode: 0o755, name: 'etc dir' })
    .file(`${D}/data`, { state: 'directory', mode: 0o755, name: 'data dir' })
    .file(`${D}/a.txt`, { content: files.get(`${D}/a.txt`)!.toString(), name: 'a.txt' })
    .file(`${D}/etc/b.conf`, { content: files.get(`${D}/etc/b.conf`)!.toString(), name: 'b.conf' })
    .template({ inline: TEMPLATE }, `${D}/etc/app.conf`, { vars: { gen }, name: 'app.conf' })
    .copy(join(local.dir, `big-${gen}.bin`), BIG, { name: 'big file' });
  if (o.gate) p.host(o.gate).shell('i=0; until [ -e /run/flt-gate ]; do i=$((i+1)); [ $i -lt 1200 ] || exit 1; sleep 0.05; done', { name: 'gate' });
  p.group('all').apt(['acl'], { name: 'apt acl' });
  const events: Run['events'] = [];
  let text = '';
  const plain = plainReporter({ write: (s) => { text += s; } });
  const waiters: { host: string; name: string; resolve: (at: number) => void }[] = [];
  const done = deployProject(p, {
    argv: [], keepExitCode: true,
    reporter: (e) => {
      const at = performance.now();
      events.push({ at, e });
      plain(e);
      if (e.type === 'task-start') for (const w of waiters) if (w.host === e.task.host && w.name === e.task.name) w.resolve(at);
    },
  }).then((result): Run => ({
    result, events, text,
    first: (h, status) => {
      for (const { at, e } of events) {
        if (e.type === 'task-end' && e.task.host === h && e.result.status === status) return { at, name: e.task.name, result: e.result };
        if (status === 'unreachable' && e.type === 'host-unreachable' && e.host === h) return { at, name: '(connect)', result: { status, changes: [], error: e.error, durationMs: 0 } };
      }
      return undefined;
    },
  }));
  return {
    done: within(done, 240_000, `the run of generation ${gen}`),
    // a run that ends first (every host unreachable, say) fails the wait with its reasons at once
    reached: (h, name) => within(new Promise<number>((resolve, reject) => {
      const seen = events.find(({ e }) => e.type === 'task-start' && e.task.host === h && e.task.name === name);
      if (seen) resolve(seen.at); else waiters.push({ host: h, name, resolve });
      done.then((r) => reject(new Error(`the run ended before task "${name}" started on ${h}:\n${why(r)}`)), reject);
    }), 120_000, `task "${name}" to start on ${h}`),
  };
}

/** Rejects naming `what` when `p` has not settled within `ms`. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`no end to ${what} within ${ms / 1000} s`)), ms); })])
    .finally(() => clearTimeout(timer));
}

function why(r: Run): string {
  return r.text.split('\n').filter((l) => /failed|unreachable|UNREACHABLE|error|stderr/i.test(l)).slice(0, 40).join('\n') || r.text.slice(-3000);
}

/** The recap line of a host: `ok=.. changed=.. unreachable=.. failed=..`. */
function recapLine(r: Run, h: string): string {
  const recap = r.text.slice(r.text.lastIndexOf('RECAP'));
  return recap.split('\n').find((l) => l.startsWith(`${h} `)) ?? `(no recap line for ${h} in:\n${recap})`;
}

/** Each managed file of a host (sha256 or "absent") and the upload temp files under D. */
async function onHost(name: string): Promise<{ files: Map<string, string>; temps: string[] }> {
  const paths = [...wanted(0).keys()];
  const r = await ssh(host(name), `for f in ${paths.join(' ')}; do if [ -e "$f" ]; then sha256sum "$f"; else echo "absent $f"; fi; done; echo ---; find ${D} -name '.shipshape-tmp.*' 2>/dev/null; true`, { user: 'root' });
  assert.is(r.code, 0, `${name}: ${r.stderr}`);
  const [sums, temps] = r.stdout.split('---\n');
  const files = new Map(sums!.trim().split('\n').map((l) => { const [h, p] = l.split(/\s+/); return [p!, h!] as [string, string]; }));
  return { files, temps: temps!.trim() ? temps!.trim().split('\n') : [] };
}

/** Every managed file on these hosts is what generation `gen` wants, and no temp file is left. */
async function assertConverged(names: string[], gen: number, when: string): Promise<void> {
  const want = wanted(gen);
  await Promise.all(names.map(async (n) => {
    const { files, temps } = await onHost(n);
    for (const [p, content] of want) assert.is(files.get(p), sha(content), `${when}: ${n}:${p} is not generation ${gen}`);
    assert.equal(temps, [], `${when}: ${n} has upload temp files left`);
  }));
}

/** No managed file on these hosts is half-written: each is absent or exactly what one of `gens` wrote. */
async function assertWhole(names: string[], gens: number[], when: string): Promise<void> {
  await Promise.all(names.map(async (n) => {
    const { files } = await onHost(n);
    for (const p of wanted(gens[0]!).keys()) {
      const got = files.get(p);
      const ok = got === 'absent' || gens.some((g) => sha(wanted(g).get(p)!) === got);
      assert.ok(ok, `${when}: ${n}:${p} is neither absent nor what generation ${gens.join(' or ')} wrote (sha256 ${got}): half-written`);
    }
  }));
}

/** The other hosts converged in a faulted run: nothing failed or unreachable, files of `gen`. */
async function assertOthersConverged(r: Run, faulty: string, gen: number): Promise<void> {
  const others = NAMES.filter((n) => n !== faulty);
  for (const n of others) {
    const s = r.result.hosts[n];
    assert.ok(s, `${n} ran`);
    assert.is(s!.failed + s!.unreachable, 0, `${n} should have converged:\n${why(r)}`);
    assert.match(recapLine(r, n), /unreachable=0\s+failed=0/);
  }
  await assertConverged(others, gen, 'the other hosts after the fault');
}

/** A rerun without fault: exit 0, every host at `gen`, hosts that had converged change nothing. */
async function assertRerunConverges(gen: number, settled: string[]): Promise<void> {
  const r = await start(gen).done;
  assert.is(r.result.exitCode, 0, `the rerun: ${why(r)}`);
  for (const n of settled) assert.is(r.result.hosts[n]!.changed, 0, `${n} had converged: the rerun changes nothing there`);
  await assertConverged(NAMES, gen, 'after the rerun');
}

/**
 * Holds the dpkg frontend lock (fcntl, as dpkg and apt take it) until killed, and counts the
 * times another process opens the lock file (inotify IN_OPEN) into /run/flt-lock.opens.
 */
const LOCK_HOLDER = `import ctypes, fcntl, os
f = open('/var/lib/dpkg/lock-frontend', 'w')
fcntl.lockf(f, fcntl.LOCK_EX)
libc = ctypes.CDLL('libc.so.6', use_errno=True)
ino = libc.inotify_init()
# IN_OPEN | IN_CLOSE_WRITE | IN_CLOSE_NOWRITE: closes in between keep opens from coalescing
if ino < 0 or libc.inotify_add_watch(ino, b'/var/lib/dpkg/lock-frontend', 0x38) < 0:
    raise SystemExit('inotify: errno %d' % ctypes.get_errno())
with open('/run/flt-lock.pid.tmp', 'w') as p:
    p.write(str(os.getpid()))
os.rename('/run/flt-lock.pid.tmp', '/run/flt-lock.pid')
opens = 0
while True:
    buf = os.read(ino, 4096)
    at = 0
    while at < len(buf):
        opens += int.from_bytes(buf[at + 4:at + 8], 'little') & 0x20 != 0
        at += 16 + int.from_bytes(buf[at + 12:at + 16], 'little')
    with open('/run/flt-lock.opens.tmp', 'w') as o:
        o.write(str(opens))
    os.rename('/run/flt-lock.opens.tmp', '/run/flt-lock.opens')
`;

let gen = 0;
const ms = (x: number) => `${Math.round(x)} ms`;
/** An error as the report names it: message, and the last line of stderr when there is one. */
const detail = (r: TaskResult) => {
  const last = (r.error?.stderr ?? '').trim().split('\n').slice(-1)[0];
  return `${r.error?.message ?? r.reason ?? ''}${last ? ` / stderr: ${last}` : ''}`;
};

test('the light plan converges on 10 hosts; a second run changes nothing', async () => {
  const r = await start(gen).done;
  assert.is(r.result.exitCode, 0, why(r));
  await assertConverged(NAMES, gen, 'first run');
  const again = await start(gen).done;
  assert.is(again.result.exitCode, 0, why(again));
  for (const n of NAMES) assert.is(again.result.hosts[n]!.changed, 0, `${n}: second run changed something`);
});

test('sshd killed mid-run: that host is unreachable at once, the rest converge; its systemd restarts sshd; a rerun converges', async () => {
  const X = 'flt-02';
  await labReset(file, { hosts: [X] }); // a fresh host: the whole plan is still to do there
  const initBefore = labState(file)!.hosts.find((x) => x.name === X)!.init;
  const g = ++gen;
  const run = start(g, { gate: X });
  await run.reached(X, 'big file');
  const pids = hostPids(file, X, 'sshd');
  assert.ok(pids.length > 0, 'sshd runs on the host');
  const faultAt = performance.now();
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch (e) {
      // a session ended when its connection went
      if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
    }
  }
  const r = await run.done;
  const hit = r.first(X, 'unreachable');
  assert.ok(hit, `${X} is reported unreachable:\n${why(r)}`);
  assert.match(hit!.result.error!.message, /lost|closed|cannot connect/);
  assert.is(r.result.exitCode, 3, why(r));
  assert.match(recapLine(r, X), /unreachable=1\s+failed=0/);
  await assertOthersConverged(r, X, g);
  measured.push(`sshd killed (SIGKILL to every sshd of ${X}, from the controller): ${ms(hit!.at - faultAt)} from the kill to "${hit!.name}: unreachable" (${detail(hit!.result)}); exit 3, recap unreachable=1, 9 others converged`);

  // as on a VM, the host's systemd starts sshd again (ssh.service: Restart=on-failure); the host
  // itself never went down, so lab up leaves every host as it is
  await waitUntil(`${X}'s systemd to start sshd again`, () => hostPids(file, X, 'sshd').some((p) => !pids.includes(p)), 30_000, 50);
  const logged: string[] = [];
  await labUp(file, { log: (l) => logged.push(l) });
  assert.match(logged.join('\n'), 'is already up');
  assert.equal(labState(file)!.hosts.find((x) => x.name === X)!.init, initBefore, `${X} kept running: the same systemd`);
  await assertWhole([X], [g], `${X} after its sshd was killed`);
  await assertRerunConverges(g, NAMES.filter((n) => n !== X));
});

test('network link dropped mid-run: unreachable once keepalive gives up, not a hang; lab up mends the link; a rerun converges', async () => {
  const X = 'flt-04';
  const g = ++gen;
  const h = labState(file)!.hosts.find((x) => x.name === X)!;
  const run = start(g, { gate: X });
  await run.reached(X, 'big file');
  let faultAt = 0;
  try {
    await sys('ip', ['link', 'set', h.veth, 'down']);
    faultAt = performance.now();
    const r = await run.done;
    const hit = r.first(X, 'unreachable');
    assert.ok(hit, `${X} is reported unreachable:\n${why(r)}`);
    assert.is(r.result.exitCode, 3, why(r));
    assert.match(recapLine(r, X), /unreachable=1\s+failed=0/);
    await assertOthersConverged(r, X, g);
    measured.push(`network link dropped (ip link set ${h.veth} down, the host's veth on the bridge): ${ms(hit!.at - faultAt)} from the link going down to "${hit!.name}: unreachable" (${detail(hit!.result)}); exit 3, recap unreachable=1, 9 others converged`);
  } finally {
    const logged: string[] = [];
    await labUp(file, { log: (l) => logged.push(l) });
    if (faultAt) assert.match(logged.join('\n'), `${X}: link repaired (its veth ${h.veth} is down)`);
  }
  assert.equal(labState(file)!.hosts.find((x) => x.name === X)!.init, h.init, 'the host kept running: only its link was mended');
  await assertWhole([X], [g - 1, g], `${X} after its link came back`);
  await assertRerunConverges(g, NAMES.filter((n) => n !== X));
});

test('dpkg lock held by another process: apt waits, saying so, and succeeds once it is released', async () => {
  const X = 'flt-06';
  await labReset(file, { hosts: [X] }); // acl not installed: apt has work to do
  // dpkg and apt lock with fcntl (POSIX) locks: flock(1) takes a BSD lock, which apt does not see
  const hold = await ssh(host(X), 'rm -f /run/flt-lock.*; cat > /run/flt-lock.py && setsid -f python3 /run/flt-lock.py </dev/null >/dev/null 2>&1', { user: 'root', input: LOCK_HOLDER });
  assert.is(hold.code, 0, hold.stderr);
  let holder = '';
  await waitUntil('the lock holder to hold the dpkg lock', async () => {
    holder = (await ssh(host(X), 'cat /run/flt-lock.pid 2>/dev/null', { user: 'root' })).stdout.trim();
    return /^\d+$/.test(holder);
  }, 30_000, 100);
  const g = ++gen;
  const run = start(g);
  let aptAt = 0;
  try {
    aptAt = await run.reached(X, 'apt acl');
    // apt retries the lock once a second, opening the file each time: two opens mean it waits
    await waitUntil('apt-get to try the held lock twice', async () =>
      (await ssh(host(X), '[ "$(cat /run/flt-lock.opens 2>/dev/null)" -ge 2 ] && pgrep -x apt-get', { user: 'root' })).code === 0, 60_000, 100);
  } finally {
    await ssh(host(X), `kill ${holder}`, { user: 'root' });
  }
  const releasedAt = performance.now();
  const r = await run.done;
  assert.is(r.result.exitCode, 0, why(r));
  const end = r.events.find(({ e }) => e.type === 'task-end' && e.task.host === X && e.task.name === 'apt acl')!;
  assert.ok(end && end.e.type === 'task-end' && end.e.result.status === 'changed', `apt acl changed on ${X}:\n${why(r)}`);
  const out = end.e.type === 'task-end' ? end.e.result.stdout ?? '' : '';
  assert.match(out, /Waiting for cache lock: Could not get lock \/var\/lib\/dpkg\/lock-frontend\. It is held by process \d+ \(python3\)/);
  await assertConverged(NAMES, g, 'after the lock was released');
  measured.push(`dpkg lock held (python3 fcntl lock on /var/lib/dpkg/lock-frontend, killed by PID once apt had tried it twice): apt waited ${ms(releasedAt - aptAt)} until the release (DPkg::Lock::Timeout=120; "Waiting for cache lock ... held by process N (python3)" in the task's stdout only), finished ${ms(end.at - releasedAt)} after the release; exit 0, all 10 converged`);
  await assertRerunConverges(g, NAMES);
});

test('file system full during a copy: an error naming host and path, the old file intact, no temp file left', async () => {
  const X = 'flt-08';
  const h = labState(file)!.hosts.find((x) => x.name === X)!;
  const old = sha(wanted(gen).get(BIG)!);
  // a 6 MiB tmpfs at the destination folder, in the host's mount namespace, holding the old 4 MiB file
  const keep = await ssh(host(X), `cp -p ${BIG} /root/big.old`, { user: 'root' });
  assert.is(keep.code, 0, keep.stderr);
  await sys('nsenter', ['-t', String(h.init!.pid), '-m', '--', 'mount', '-t', 'tmpfs', '-o', 'size=6m,mode=0755', 'flt-full', `${D}/data`]);
  let r: Run;
  try {
    const put = await ssh(host(X), `cp -p /root/big.old ${BIG} && sha256sum ${BIG}`, { user: 'root' });
    assert.is(put.stdout.split(' ')[0], old, put.stderr);
    const g = ++gen;
    r = await start(g).done;
    const failed = r.first(X, 'failed');
    assert.ok(failed, `${X} failed:\n${why(r)}`);
    assert.is(failed!.name, 'big file');
    const text = failed!.result.error!.explain();
    assert.match(text, X);
    assert.match(text, BIG);
    assert.match(text, /No space left on device/);
    assert.is(r.result.exitCode, 2, why(r));
    assert.match(recapLine(r, X), /unreachable=0\s+failed=1/);
    const { files, temps } = await onHost(X);
    assert.is(files.get(BIG), old, 'the old file is intact');
    assert.equal(temps, [], 'no temp file is left on the full file system');
    await assertOthersConverged(r, X, g);
    measured.push(`file system full (6 MiB tmpfs at ${D}/data holding the old 4 MiB file, via nsenter into the host's mount namespace): failed after ${ms(failed!.result.durationMs)} of the copy task (${detail(failed!.result)}); old file intact, no temp file; exit 2, recap failed=1, 9 others converged`);
  } finally {
    await sys('nsenter', ['-t', String(h.init!.pid), '-m', '--', 'umount', `${D}/data`], { allowFail: true });
    await ssh(host(X), 'rm -f /root/big.old', { user: 'root' });
  }
  await assertRerunConverges(gen, NAMES.filter((n) => n !== X));
});

test('sudo wants a password and none was given: a clear error, not a hang', async () => {
  const X = 'flt-09';
  const set = await ssh(host(X), "echo 'vagrant ALL=(ALL) ALL' > /etc/sudoers.d/vagrant", { user: 'root' });
  assert.is(set.code, 0, set.stderr);
  const g = ++gen;
  try {
    const t0 = performance.now();
    const r = await start(g).done;
    const failed = r.first(X, 'failed');
    assert.ok(failed, `${X} failed:\n${why(r)}`);
    const text = failed!.result.error!.explain();
    assert.match(text, X);
    assert.match(text, /password/i);
    assert.is(r.result.exitCode, 2, why(r));
    assert.match(recapLine(r, X), /unreachable=0\s+failed=1/);
    await assertOthersConverged(r, X, g);
    measured.push(`sudo wants a password, none given (vagrant ALL=(ALL) ALL on ${X}): failed ${ms(failed!.at - t0)} after the run started, at "${failed!.name}" (${detail(failed!.result)}); exit 2, recap failed=1, 9 others converged`);
  } finally {
    await ssh(host(X), "echo 'vagrant ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/vagrant", { user: 'root' });
  }
  await assertWhole([X], [g - 1, g], `${X} after sudo refused`);
  await assertRerunConverges(g, NAMES.filter((n) => n !== X));
});

test('a host restarted mid-run (lab reset --host): reported unreachable, the rest converge; a rerun converges', async () => {
  const X = 'flt-10';
  const g = ++gen;
  const before = labState(file)!.hosts.find((x) => x.name === X)!;
  const run = start(g, { gate: X });
  await run.reached(X, 'big file');
  const resetAt = performance.now();
  const reset = labReset(file, { hosts: [X] });
  let downAt = 0;
  await waitUntil(`${X}'s old init to stop`, () => { if (!isAlive(before.init)) downAt = performance.now(); return downAt > 0; }, 30_000, 5);
  const r = await run.done;
  hosts = await reset;
  const hit = r.first(X, 'unreachable');
  assert.ok(hit, `${X} is reported unreachable:\n${why(r)}`);
  assert.is(r.result.exitCode, 3, why(r));
  assert.match(recapLine(r, X), /unreachable=1\s+failed=0/);
  await assertOthersConverged(r, X, g);
  await assertWhole([X], [g], `${X} after its restart`);
  // the event can arrive before this process sees the old init gone: measured from the reset call
  measured.push(`host restarted mid-run (lab reset --host ${X}: its systemd powered off, wiped, booted): ${ms(hit!.at - resetAt)} from the reset call to "${hit!.name}: unreachable" (its old systemd was seen gone at +${ms(downAt - resetAt)}; ${detail(hit!.result)}); exit 3, recap unreachable=1, 9 others converged`);
  await assertRerunConverges(g, NAMES.filter((n) => n !== X));
});

test.run();
