// The "app running under supervisor" check, run by sh over fixture trees of /proc, /etc and
// /run shaped as captured on a lab host: /proc may say "running" only when it is sure; every
// other case asks supervisorctl (a stub here that records it was asked).
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { supervisorRunning } from '../../recipes/python-app/supervisor-running.js';
import { assertShellSyntax } from '../support/op-harness.js';
import { scratch } from '../ops/applied-twice/local-run.js';

const HZ = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim());
const UPTIME = 5000;
// Debian 12's supervisor package, as captured: the pidfile line of supervisord.conf, supervisord's
// argv, and the environment supervisord gives the program.
const CONF = '[unix_http_server]\nfile=/var/run/supervisor.sock   ; (the path to the socket file)\n\n[supervisord]\nlogfile=/var/log/supervisor/supervisord.log ; (main log file;default $CWD/supervisord.log)\npidfile=/var/run/supervisord.pid ; (supervisord pidfile;default supervisord.pid)\nchildlogdir=/var/log/supervisor            ; (\'AUTO\' child log dir, default $TEMP)\n\n[include]\nfiles = /etc/supervisor/conf.d/*.conf\n';
const SUPERVISORD_ARGV = ['/usr/bin/python3', '/usr/bin/supervisord', '-n', '-c', '/etc/supervisor/supervisord.conf'];
const GUNICORN_ARGV = ['/opt/webapp/venv/bin/python3', '/opt/webapp/venv/bin/gunicorn', '-c', 'gunicorn.conf.py', 'app:app'];
const envOf = (group: string, name: string) => ['LANG=C.UTF-8', 'PATH=/usr/sbin:/usr/bin:/sbin:/bin', 'SUPERVISOR_ENABLED=1', `SUPERVISOR_PROCESS_NAME=${name}`, `SUPERVISOR_GROUP_NAME=${group}`, 'SUPERVISOR_SERVER_URL=unix:///var/run/supervisor.sock'];

interface Proc { pid: number; ppid: number; comm: string; state?: string; age?: number; argv: string[]; env?: string[] | null }

// Captured on a lab host: gunicorn's master under supervisord (Debian 12, kernel 6.x).
const CAPTURED_STAT = '757 (gunicorn) S 563 757 563 0 -1 4194560 6598 0 0 0 13 3 0 0 20 0 1 0 147613 36048896 7190 18446744073709551615 4321280 7138889 140723605132416 0 0 0 0 16781312 137447943 1 0 0 17 0 0 0 0 0 0 9702856 11005272 685821952 140723605134936 140723605135022 140723605135022 140723605135322 0';

/** The captured stat line with this process's pid, comm, state, ppid and starttime (22nd field, clock ticks since boot). */
function statLine(p: Proc): string {
  const f = CAPTURED_STAT.replace(/^\d+ \(gunicorn\) /, '').split(' ');
  f[0] = p.state ?? 'S';
  f[1] = String(p.ppid);
  f[19] = String(Math.round((UPTIME - (p.age ?? 600)) * HZ));
  return `${p.pid} (${p.comm}) ${f.join(' ')}\n`;
}

function put(root: string, path: string, text: string) {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
}

interface Tree { procs: Proc[]; pidfile?: string | null; conf?: string; children?: boolean; extraFiles?: string[] }

const SUPERVISORD: Proc = { pid: 412, ppid: 1, comm: 'supervisord', argv: SUPERVISORD_ARGV, env: ['LANG=C.UTF-8'] };
const MASTER: Proc = { pid: 2215, ppid: 412, comm: 'gunicorn', argv: GUNICORN_ARGV, env: envOf('app', 'app') };
const WORKER: Proc = { pid: 2230, ppid: 2215, comm: 'gunicorn', argv: GUNICORN_ARGV, env: envOf('app', 'app') };

/** Builds the tree; the supervisorctl stub prints `answer` and notes that it was asked. */
function build(t: Tree, answer: string): string {
  const root = scratch();
  put(root, 'usr/bin/supervisorctl', `#!/bin/sh\necho "$*" >> ${root}/asked\nprintf '%s\\n' '${answer}'\n`);
  chmodSync(join(root, 'usr/bin/supervisorctl'), 0o755);
  put(root, 'etc/supervisor/supervisord.conf', t.conf ?? CONF);
  if (t.pidfile !== null) put(root, 'var/run/supervisord.pid', t.pidfile ?? `${SUPERVISORD.pid}\n`);
  put(root, 'proc/uptime', `${UPTIME}.37 9876.12\n`);
  for (const p of t.procs) {
    put(root, `proc/${p.pid}/stat`, statLine(p));
    put(root, `proc/${p.pid}/cmdline`, p.argv.map((a) => `${a}\0`).join(''));
    if (p.env !== null) put(root, `proc/${p.pid}/environ`, (p.env ?? []).map((e) => `${e}\0`).join(''));
    if (t.children !== false) put(root, `proc/${p.pid}/task/${p.pid}/children`, t.procs.filter((c) => c.ppid === p.pid).map((c) => `${c.pid} `).join(''));
  }
  for (const f of t.extraFiles ?? []) put(root, f, '');
  return root;
}

function check(t: Tree, o: { program?: string; answer?: string } = {}): { running: boolean; asked: boolean } {
  const root = build(t, o.answer ?? 'app                              STOPPED   Dec 03 02:10 PM');
  const script = supervisorRunning(o.program ?? 'app', { root });
  const r = spawnSync('/bin/sh', ['-c', script], { cwd: root, encoding: 'utf8', env: { PATH: `${root}/usr/bin:/usr/bin:/bin` } });
  assert.is(r.stderr, '', 'the check prints nothing on stderr');
  const asked = existsSync(join(root, 'asked'));
  if (asked) assert.is(readFileSync(join(root, 'asked'), 'utf8'), `status ${o.program ?? 'app'}\n`);
  rmSync(root, { recursive: true, force: true });
  return { running: r.status === 0, asked };
}

const RUNNING_ANSWER = 'app                              RUNNING   pid 2215, uptime 0:10:00';

test('the check is valid sh and shows what it checks on its first line', () => {
  const s = supervisorRunning('app');
  assertShellSyntax(s, 'supervisorRunning');
  assert.is(s.split('\n')[0], '# app RUNNING under supervisord (/proc, else supervisorctl status)');
});

test('reads RUNNING from /proc without asking supervisorctl when supervisord\'s child for the program has been up a while', () => {
  assert.equal(check({ procs: [SUPERVISORD, MASTER, WORKER] }), { running: true, asked: false });
});

test('finds the child by scanning /proc when the kernel lists no children', () => {
  assert.equal(check({ procs: [SUPERVISORD, MASTER, WORKER], children: false }), { running: true, asked: false });
});

test('a comm with spaces and parentheses does not shift the fields', () => {
  assert.equal(check({ procs: [SUPERVISORD, { ...MASTER, comm: 'gunicorn) S 1 (' }, WORKER] }), { running: true, asked: false });
});

const unsure: [string, Tree, { program?: string }?][] = [
  ['the program\'s process is a zombie', { procs: [SUPERVISORD, { ...MASTER, state: 'Z' }, WORKER] }],
  ['it started less than startsecs + 1 s ago (it may still be STARTING)', { procs: [SUPERVISORD, { ...MASTER, age: 1 }] }],
  ['only a worker, not a child of supervisord, carries the program\'s name', { procs: [SUPERVISORD, { ...WORKER, ppid: 1 }] }],
  ['supervisord\'s child belongs to another program', { procs: [SUPERVISORD, { ...MASTER, env: envOf('web', 'web') }] }],
  ['the process name matches but the group does not', { procs: [SUPERVISORD, { ...MASTER, env: envOf('web', 'app') }] }],
  ['the program name is a pattern that would match', { procs: [SUPERVISORD, MASTER] }, { program: 'ap*' }],
  ['its environment cannot be read', { procs: [SUPERVISORD, { ...MASTER, env: null }] }],
  ['there is no pidfile', { procs: [SUPERVISORD, MASTER], pidfile: null }],
  ['the pidfile holds no PID', { procs: [SUPERVISORD, MASTER], pidfile: 'garbage\n' }],
  ['the pidfile\'s PID is another program now', { procs: [{ ...SUPERVISORD, argv: ['/usr/sbin/cron', '-f'] }, MASTER] }],
  ['supervisord is a zombie', { procs: [{ ...SUPERVISORD, state: 'Z' }, MASTER] }],
  ['supervisord.conf names no pidfile', { procs: [SUPERVISORD, MASTER], conf: '[supervisord]\nlogfile=/var/log/supervisor/supervisord.log\n' }],
  ['the pidfile is relative to supervisord\'s own folder', { procs: [SUPERVISORD, MASTER], conf: '[supervisord]\npidfile=%(here)s/supervisord.pid\n' }],
  ['supervisorctl would read /etc/supervisord.conf first', { procs: [SUPERVISORD, MASTER], extraFiles: ['etc/supervisord.conf'] }],
  ['supervisorctl would read a config next to its own folder', { procs: [SUPERVISORD, MASTER], extraFiles: ['usr/etc/supervisord.conf'] }],
];
for (const [why, tree, o] of unsure) {
  test(`asks supervisorctl when ${why}`, () => {
    assert.equal(check(tree, o), { running: false, asked: true }, 'STOPPED from supervisorctl');
    assert.equal(check(tree, { ...o, answer: RUNNING_ANSWER.replace('app', o?.program ?? 'app') }), { running: true, asked: true }, 'RUNNING from supervisorctl');
  });
}

test('a program supervisorctl calls STARTING counts as running (the health check after it judges); BACKOFF, FATAL and STOPPED do not', () => {
  const tree = { procs: [SUPERVISORD, MASTER], pidfile: null };
  const answer = (state: string) => RUNNING_ANSWER.replace('RUNNING  ', state.padEnd(9));
  assert.equal(check(tree, { answer: answer('STARTING') }), { running: true, asked: true });
  assert.equal(check(tree, { answer: 'app                              STARTING' }), { running: true, asked: true }, 'STARTING at the end of the line');
  for (const state of ['BACKOFF', 'FATAL', 'STOPPED', 'EXITED']) assert.equal(check(tree, { answer: answer(state) }), { running: false, asked: true }, state);
});

test.run();
