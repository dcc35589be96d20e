import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createProject } from '../../lib/dsl/project.js';
import { deployProject } from '../../lib/engine/deploy.js';
import { plainReporter } from '../../lib/report/plain.js';
import { liveReporter } from '../../lib/report/live.js';
import { secret } from '../../lib/secret.js';
import { tmpDir } from '../support/tmp.js';

test('the plain reporter prints a line per task, unified diffs with --diff, and a recap', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    writeFileSync(join(dir, 'conf'), 'a\nb\nc\n');
    const p = createProject();
    p.host('box', { transport: 'local' })
      .file(join(dir, 'conf'), { content: 'a\nB\nc\n' })
      .file(join(dir, 'same'), { state: 'absent' });
    let out = '';
    const r = await deployProject(p, { argv: ['--diff'], keepExitCode: true, reporter: plainReporter({ diff: true, write: (s) => { out += s; } }) });
    assert.is(r.exitCode, 0);
    assert.match(out, `box | file ${join(dir, 'conf')} | changed (content)`);
    assert.match(out, '-b\n+B');
    assert.match(out, `box | file ${join(dir, 'same')} (absent) | ok`);
    assert.match(out, /box\s+: ok=2\s+changed=1\s+unreachable=0\s+failed=0\s+skipped=0/);
  } finally { cleanup(); }
});

test('a secret never shows in output, diffs or the JSON report', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    const token = 'tok-SUPER-SECRET-123';
    const p = createProject();
    p.host('box', { transport: 'local' })
      .file(join(dir, 'token'), { content: secret(token), mode: 0o600 })
      .shell(`echo ${token} >&2; exit 1`, { name: 'leaky' });
    let out = '';
    const json = join(dir, 'report.json');
    const r = await deployProject(p, { argv: ['--diff', '--json', json], keepExitCode: true, reporter: plainReporter({ diff: true, write: (s) => { out += s; } }) });
    assert.is(r.exitCode, 2);
    assert.is(readFileSync(join(dir, 'token'), 'utf8'), token, 'the real value reached the file');
    assert.not.match(out, token);
    assert.match(out, 'content is secret');
    assert.match(out, '********');
    const report = readFileSync(json, 'utf8');
    assert.not.match(report, token);
    assert.is(JSON.parse(report).summary.hosts.box.failed, 1);
  } finally { cleanup(); }
});

test('the live reporter shows each running host\'s current task and erases it when the host ends', () => {
  let out = '';
  const r = liveReporter({ write: (s) => { out += s; }, color: false });
  const task = { id: 'a#0', host: 'web-01', name: 'apt nginx', op: 'apt' };
  r({ type: 'task-start', task });
  assert.match(out, 'web-01 … apt nginx\n');
  const before = out.length;
  r({ type: 'task-end', task, result: { status: 'changed', changes: [{ what: 'package nginx' }], durationMs: 5 }, check: false });
  const after = out.slice(before);
  assert.ok(after.startsWith('\x1b[1A\x1b[0J'), 'the block is erased before the task line');
  assert.match(after, 'web-01 | apt nginx | changed (package nginx)');
  assert.is(after.split('web-01 … apt nginx').length - 1, 1, 'the block is drawn once');
  r({ type: 'host-end', host: 'web-01', stats: { ok: 1, changed: 1, failed: 0, skipped: 0, unreachable: 0, aborted: 0 } });
  assert.not.match(out.slice(out.lastIndexOf('\x1b[0J')), '…');
});

test('a changed mode, owner or group shows its old and new value on the status line', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    writeFileSync(join(dir, 'conf'), 'x\n');
    chmodSync(join(dir, 'conf'), 0o644);
    const p = createProject();
    p.host('box', { transport: 'local' }).file(join(dir, 'conf'), { mode: 0o600 });
    let out = '';
    const r = await deployProject(p, { argv: [], keepExitCode: true, reporter: plainReporter({ write: (s) => { out += s; } }) });
    assert.is(r.exitCode, 0);
    assert.match(out, `box | file ${join(dir, 'conf')} | changed (mode 0644 → 0600)`);
  } finally { cleanup(); }
  const task = { id: 'a#0', host: 'web-01', name: 'file /etc/app.conf', op: 'file' };
  const changes = [
    { what: 'content', before: 'sha256:aaaaaaaaaaaa', after: 'sha256:bbbbbbbbbbbb' },
    { what: 'owner', before: 'root', after: 'www' },
    { what: 'group', before: 'root', after: 'www' },
    { what: 'mode', before: '0644', after: '0640' },
  ];
  const line = 'web-01 | file /etc/app.conf | changed (content, owner root → www, group root → www, mode 0644 → 0640)';
  let plain = '';
  plainReporter({ write: (s) => { plain += s; } })({ type: 'task-end', task, result: { status: 'changed', changes, durationMs: 1 }, check: false });
  assert.is(plain, line + '\n');
  let live = '';
  liveReporter({ write: (s) => { live += s; }, color: false })({ type: 'task-end', task, result: { status: 'changed', changes, durationMs: 1 }, check: true });
  assert.match(live, line.replace('| changed', '| would change'));
});

test.run();
