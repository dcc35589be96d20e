// Batched probes stay in use after changes that cannot have touched what a later task reads:
// a first run of many files in a new folder probes once. Anything else probes again.
import { chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createProject } from '../../lib/dsl/project.js';
import { deployProject } from '../../lib/engine/deploy.js';
import { overlaps } from '../../lib/engine/footprint.js';
import type { HostPlan } from '../../lib/plan/types.js';
import type { EngineEvent } from '../../lib/report/events.js';
import { CountingTransport } from '../support/counting-transport.js';
import { tmpDir } from '../support/tmp.js';

const local = { transport: 'local' as const };

for (const [reads, changed, expected, why] of [
  [[{ path: '/srv/app/a.conf' }], [{ path: '/srv/app' }], false, 'a folder made above a file leaves the file absent'],
  [[{ path: '/srv/app/a.conf' }], [{ path: '/srv/app/b.conf' }], false, 'a sibling'],
  [[{ path: '/srv/app/a.conf' }], [{ path: '/srv/app/a.conf' }], true, 'the same path'],
  [[{ path: '/srv/app/a.conf' }], [{ path: '/srv/app//a.conf/' }], true, 'the same path, spelled otherwise'],
  [[{ path: '/srv/app/x/../a.conf' }], [{ path: '/srv/app/a.conf' }], true, 'the same path through ..'],
  [[{ path: '/srv/app' }], [{ path: '/srv/app/a.conf' }], true, 'a folder read after something in it changed (mkdir -p makes parents)'],
  [[{ path: '/srv/app/a.conf' }], [{ path: '/srv/app', subtree: true }], true, 'below a link or a removal'],
  [[{ path: '/srv/app', subtree: true }], [{ path: '/srv/app/deep/a.conf' }], true, 'a mirrored tree with a change inside'],
  [[{ path: '/etc/motd' }], [{ path: '/', subtree: true }], true, 'below the root, removed'],
  [[{ path: '/srv/application' }], [{ path: '/srv/app', subtree: true }], false, 'a name that only starts the same'],
] as const) {
  test(`a read of ${JSON.stringify(reads)} after a change of ${JSON.stringify(changed)} ${expected ? 'probes again' : 'keeps its batched probe'}: ${why}`, () => {
    assert.is(overlaps(reads as never, changed as never), expected);
  });
}

async function run(p: ReturnType<typeof createProject>) {
  const transports: CountingTransport[] = [];
  const events: EngineEvent[] = [];
  const result = await deployProject(p, {
    argv: [], keepExitCode: true, reporter: (e) => events.push(e),
    connect: async (h: HostPlan) => { const t = new CountingTransport(h.name); transports.push(t); return t; },
  });
  const probedAlone = events.filter((e) => e.type === 'task-probe' && !(e as { batched: boolean }).batched).map((e) => (e as { task: { name: string } }).task.name);
  const again = events.filter((e): e is Extract<EngineEvent, { type: 'probe-batch' }> => e.type === 'probe-batch' && e.again === true);
  return { result, calls: transports[0]!.calls, probedAlone, again };
}

test('a first run of a folder, 8 files and a template in it probes once, in the batch', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    const app = join(dir, 'app');
    const p = createProject();
    const h = p.host('localhost', local).file(app, { state: 'directory', mode: 0o755 });
    for (let i = 1; i <= 8; i++) h.file(join(app, `f${i}.txt`), { content: `file ${i}\n`, mode: 0o644 });
    h.template({ inline: 'port={{port}}\n' }, join(app, 'app.conf'), { vars: { port: 5000 } });
    const first = await run(p);
    assert.ok(first.result.ok);
    assert.is(first.result.hosts.localhost!.changed, 10);
    assert.equal(first.probedAlone, [], 'no task probed on its own');
    assert.is(readFileSync(join(app, 'f8.txt'), 'utf8'), 'file 8\n');
    assert.is(readFileSync(join(app, 'app.conf'), 'utf8'), 'port=5000\n');
    const again = await run(p);
    assert.is(again.result.hosts.localhost!.changed, 0);
    assert.is(again.calls.length, 1, 'a second run is one round trip');
  } finally {
    cleanup();
  }
});

/** A venv-shaped folder with x 1.0 installed, its requirements file and the stamp of an earlier install. */
function installedVenv(dir: string): { venv: string; req: string } {
  const venv = join(dir, 'venv');
  const site = join(venv, 'lib/python3.11/site-packages/x-1.0.dist-info');
  mkdirSync(site, { recursive: true });
  writeFileSync(join(site, 'METADATA'), 'Metadata-Version: 2.1\nName: x\nVersion: 1.0\n');
  mkdirSync(join(venv, 'bin'));
  writeFileSync(join(venv, 'bin/python'), '#!/bin/sh\nexit 1\n');
  chmodSync(join(venv, 'bin/python'), 0o755);
  writeFileSync(join(venv, 'pyvenv.cfg'), 'home = /usr/bin\ninclude-system-site-packages = false\n');
  const req = join(dir, 'requirements.txt');
  writeFileSync(req, 'x==1.0\n');
  writeFileSync(join(venv, '.shipshape-requirements.sha256'), `${createHash('sha256').update('x==1.0\n').digest('hex')}  ${req}\n`);
  return { venv, req };
}

test('pip keeps its batched probe after a change beside its venv, and probes again after its requirements file changed', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    const { venv, req } = installedVenv(dir);
    const beside = createProject();
    beside.host('localhost', local).file(join(dir, 'app.py'), { content: 'print(1)\n' }).pip({ venv, requirements: req });
    const a = await run(beside);
    assert.ok(a.result.ok);
    assert.is(a.result.hosts.localhost!.changed, 1, 'the file changed, pip did not');
    assert.equal(a.probedAlone, [], 'pip used its batched probe');
    assert.is(a.again.length, 0);
    const same = createProject();
    // the same text: pip sees it unchanged, but only by probing again after the write
    same.host('localhost', local).file(req, { content: 'x==1.0\n', mode: 0o600 }).pip({ venv, requirements: req });
    const b = await run(same);
    assert.ok(b.result.ok);
    assert.equal(b.probedAlone, [`pip -r ${req} in ${venv}`], 'a write to its requirements file makes pip probe again');
  } finally {
    cleanup();
  }
});

test('a command that changed something makes every later task probe again', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    const p = createProject();
    p.host('localhost', local)
      .shell(`printf 'by the shell\\n' > ${join(dir, 'a.txt')}`, { creates: join(dir, 'a.txt') })
      .line(join(dir, 'a.txt'), { line: 'by line' });
    const r = await run(p);
    assert.ok(r.result.ok);
    assert.equal(r.probedAlone, [`line ${join(dir, 'a.txt')}: by line`]);
    assert.is(readFileSync(join(dir, 'a.txt'), 'utf8'), 'by the shell\nby line\n');
  } finally {
    cleanup();
  }
});

test('a task whose path goes through a symlink probes again after a change: it may be the same file', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    mkdirSync(join(dir, 'real'));
    symlinkSync(join(dir, 'real'), join(dir, 'alias'));
    writeFileSync(join(dir, 'real', 'app.conf'), 'a=1\n');
    const p = createProject();
    p.host('localhost', local)
      .file(join(dir, 'real', 'app.conf'), { content: 'a=1\nb=2\n' })
      .line(join(dir, 'alias', 'app.conf'), { line: 'c=3' });
    const r = await run(p);
    assert.ok(r.result.ok);
    assert.equal(r.probedAlone, [`line ${join(dir, 'alias', 'app.conf')}: c=3`]);
    // With the stale probe, line would have rewritten a=1 and dropped b=2.
    assert.is(readFileSync(join(dir, 'real', 'app.conf'), 'utf8'), 'a=1\nb=2\nc=3\n');
  } finally {
    cleanup();
  }
});

test('a link made in the run makes the tasks below it probe again', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    mkdirSync(join(dir, 'v1'));
    writeFileSync(join(dir, 'v1', 'app.conf'), 'x=1\n');
    const p = createProject();
    p.host('localhost', local)
      .file(join(dir, 'current'), { state: 'link', target: join(dir, 'v1') })
      .line(join(dir, 'current', 'app.conf'), { line: 'y=2' });
    const r = await run(p);
    assert.ok(r.result.ok);
    assert.equal(r.probedAlone, [`line ${join(dir, 'current', 'app.conf')}: y=2`]);
    assert.is(readFileSync(join(dir, 'v1', 'app.conf'), 'utf8'), 'x=1\ny=2\n');
  } finally {
    cleanup();
  }
});

test('the same file written twice in a run is probed again the second time', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    const f = join(dir, 'motd');
    const p = createProject();
    p.host('localhost', local).file(f, { content: 'one\n' }).line(f, { line: 'two' });
    const r = await run(p);
    assert.equal(r.probedAlone, [`line ${f}: two`]);
    assert.is(readFileSync(f, 'utf8'), 'one\ntwo\n');
  } finally {
    cleanup();
  }
});

test('after a command changed something, the later tasks probe again in one script, and their changes go as one', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    const p = createProject();
    const h = p.host('localhost', local).shell(`mkdir -p ${join(dir, 'app')}`, { creates: join(dir, 'app'), name: 'make the folder' });
    for (let i = 1; i <= 3; i++) h.file(join(dir, 'app', `f${i}.txt`), { content: `file ${i}\n` });
    h.shell(`touch ${join(dir, 'stamp')}`, { creates: join(dir, 'stamp'), name: 'stamp' }).line(join(dir, 'stamp'), { line: 'more' });
    const r = await run(p);
    assert.ok(r.result.ok);
    assert.is(r.result.hosts.localhost!.changed, 6);
    // The three files and the stamp command (the first task without a footprint ends the
    // script); after the files changed, the stamp and the line that reads it; the stamp's
    // change made that read stale again, so the line probed on its own.
    assert.equal(r.probedAlone, [`line ${join(dir, 'stamp')}: more`]);
    assert.equal(r.again.map((e) => e.probes), [4, 2]);
    assert.is(readFileSync(join(dir, 'app', 'f3.txt'), 'utf8'), 'file 3\n');
    assert.is(readFileSync(join(dir, 'stamp'), 'utf8'), 'more\n');
    const again = await run(p);
    assert.is(again.result.hosts.localhost!.changed, 0);
    assert.equal(again.again, [], 'nothing changed: the first batch serves every task');
  } finally {
    cleanup();
  }
});

test('a probe read again sees a link made before it: a change through the link after that is not missed', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    mkdirSync(join(dir, 'v1'));
    writeFileSync(join(dir, 'v1', 'app.conf'), 'x=1\n');
    const p = createProject();
    // The link is made before the command whose change has the files after it read again:
    // read then, current/app.conf goes through the link, so it is not plain any more.
    p.host('localhost', local)
      .file(join(dir, 'current'), { state: 'link', target: join(dir, 'v1') })
      .shell('true', { name: 'anything' })
      .file(join(dir, 'other.txt'), { content: 'o\n' })
      .line(join(dir, 'v1', 'app.conf'), { line: 'y=2' })
      .line(join(dir, 'current', 'app.conf'), { line: 'z=3' });
    const r = await run(p);
    assert.ok(r.result.ok);
    assert.is(readFileSync(join(dir, 'v1', 'app.conf'), 'utf8'), 'x=1\ny=2\nz=3\n', 'the last line task saw y=2, written through the other path');
  } finally {
    cleanup();
  }
});

test.run();
