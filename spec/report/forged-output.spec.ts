import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createProject } from '../../lib/dsl/project.js';
import { deployProject } from '../../lib/engine/deploy.js';
import { ShipshapeError } from '../../lib/errors.js';
import type { EngineEvent, HostStats } from '../../lib/report/events.js';
import { liveReporter } from '../../lib/report/live.js';
import { plainReporter } from '../../lib/report/plain.js';
import { recap } from '../../lib/report/recap.js';
import { tmpDir } from '../support/tmp.js';

const local = { transport: 'local' as const };
const stats: HostStats = { ok: 1, changed: 0, failed: 0, skipped: 0, unreachable: 0, aborted: 0 };
/** A name that, printed raw, would add a fake recap line and recolour the terminal. */
const FORGED = 'web\nRECAP\nevil : ok=99  changed=0  unreachable=0  failed=0  skipped=0\x1b[2J';

/** Lines of output that start a recap: a forged one would make two. */
const recaps = (out: string) => out.split('\n').filter((l) => l.startsWith('RECAP')).length;

test('a host, handler or task name with a newline or a control character is a plan problem: exit 4, nothing contacted', async () => {
  const names = ['web\n01', 'web\x1b[31m01', 'web\r01', 'web\u009b2J', 'web\u202e10'];
  for (const bad of names) {
    for (const where of ['host', 'handler', 'task'] as const) {
      const p = createProject();
      const h = p.host(where === 'host' ? bad : 'good', local);
      if (where === 'handler') h.shell('true', { notify: bad }).handler(bad, (x) => x.shell('true'));
      else h.shell('true', where === 'task' ? { name: bad } : {});
      let connects = 0;
      let out = '';
      const r = await deployProject(p, {
        argv: [], keepExitCode: true, reporter: plainReporter({ write: (s) => { out += s; } }),
        connect: async () => { connects++; throw new Error('must not connect'); },
      });
      assert.is(r.exitCode, 4, `${where} ${JSON.stringify(bad)}`);
      assert.is(connects, 0);
      assert.match(out, `${where} name "`);
      assert.match(out, 'must be one line without control characters');
      assert.not.match(out, bad, 'the name is printed escaped');
      const lines = out.trimEnd().split('\n');
      assert.ok(lines.every((l) => /^(The plan is invalid|  - |      at )/.test(l)), `no line of its own: ${JSON.stringify(lines)}`);
    }
  }
});

test('names from events are shown escaped by the plain, live and recap output: no forged line, no raw escape', () => {
  const task = { id: 'a#0', host: FORGED, name: `apt\nRECAP\x1b]52;c;ZXZpbA==\x07`, op: 'apt', handler: 'restart\nRECAP' };
  const events: EngineEvent[] = [
    { type: 'task-start', task },
    { type: 'task-end', task, result: { status: 'changed', changes: [{ what: 'link', before: 'a\nRECAP', after: 'b\x1b[2J' }], durationMs: 1 }, check: false },
    { type: 'warning', host: FORGED, message: 'look\x1b[2J' },
    { type: 'handlers-pending', host: FORGED, names: ['x\nRECAP'], undeclared: ['y\x1b[0m'] },
    { type: 'host-end', host: FORGED, stats },
    { type: 'run-end', summary: { ok: true, hosts: { [FORGED]: stats }, check: false, aborted: false, durationMs: 1 } },
  ];
  let plain = '';
  let live = '';
  const pr = plainReporter({ write: (s) => { plain += s; } });
  const lr = liveReporter({ write: (s) => { live += s; }, color: false, columns: () => 400 });
  for (const e of events) { pr(e); lr(e); }
  assert.is(recaps(plain), 1);
  assert.is(recaps(live), 1);
  assert.not.match(plain, '\x1b', 'no escape sequence reaches the terminal');
  // The live block moves the cursor itself; nothing else may.
  assert.not.match(live.replace(/\x1b\[\d+A\x1b\[0J/g, ''), '\x1b');
  assert.not.match(live, '\x07');
  assert.match(plain, 'web\\nRECAP\\nevil : ok=99');
  assert.match(plain, '\\x1b[2J');
  assert.match(live, 'web\\nRECAP\\nevil : ok=99  changed=0  unreachable=0  failed=0  skipped=0\\x1b[2J … handler restart\\nRECAP');
  assert.is(recap({ [FORGED]: stats }).split('\n').length, 2);
});

test('remote stderr and stdout with escape sequences are shown escaped, in the output and in the JSON report', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    const p = createProject();
    // OSC 52 sets the terminal's clipboard; CSI 2J clears the screen; a lone CR rewrites the line.
    p.host('box', local).shell(`printf 'oops\\033]52;c;ZXZpbA==\\007\\033[2J\\rRECAP\\n' >&2; exit 1`, { name: 'noisy' });
    let plain = '';
    let live = '';
    const json = join(dir, 'out.json');
    const r = await deployProject(p, {
      argv: ['--json', json], keepExitCode: true, reporter: plainReporter({ write: (s) => { plain += s; } }),
      listeners: [liveReporter({ write: (s) => { live += s; }, color: false })],
    });
    assert.is(r.exitCode, 2);
    assert.match(plain, 'stderr:  oops\\x1b]52;c;ZXZpbA==\\x07\\x1b[2J\\rRECAP');
    assert.not.match(plain, '\x1b');
    assert.not.match(plain, '\x07');
    assert.not.match(plain, '\r');
    assert.not.match(live.replace(/\x1b\[\d+A\x1b\[0J/g, ''), '\x1b');
    assert.is(recaps(plain), 1);
    const report = JSON.parse(readFileSync(json, 'utf8')) as { tasks: { error?: string }[] };
    assert.match(report.tasks[0]!.error!, 'oops\\x1b]52');
  } finally { cleanup(); }
});

test('explain() shows control characters of remote output as escapes, keeping newlines and tabs', () => {
  const e = new ShipshapeError('failed\x1b[2J', { host: 'h\nx', stderr: 'a\tb\nc\x1b]52;c;eA==\x07\r\n', stdout: '' });
  const text = e.explain();
  assert.not.match(text, '\x1b');
  assert.not.match(text, '\x07');
  assert.match(text, 'failed\\x1b[2J');
  assert.match(text, 'host:    h\\nx');
  assert.match(text, 'a\tb\n           c\\x1b]52;c;eA==\\x07');
});

test('a task name made from arguments with control characters is shown on one line, escaped', async () => {
  const p = createProject();
  p.host('box', local).command(['printf', '%s', 'a\tb\x1b[2J\rRECAP']);
  let out = '';
  const r = await deployProject(p, { argv: [], keepExitCode: true, reporter: plainReporter({ write: (s) => { out += s; } }) });
  assert.is(r.exitCode, 0);
  const status = out.split('\n').filter((l) => l.startsWith('box | command '));
  assert.is(status.length, 1);
  assert.match(status[0]!, 'a\\tb\\x1b[2J\\rRECAP');
  assert.not.match(out, '\x1b');
  assert.is(recaps(out), 1);
});

test.run();
