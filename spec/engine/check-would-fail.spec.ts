// --check tells the truth about changes that cannot work: a package without an installation
// candidate, an owner or group that does not exist and that no earlier task creates.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createProject } from '../../lib/dsl/project.js';
import { deployProject } from '../../lib/engine/deploy.js';
import type { EngineEvent } from '../../lib/report/events.js';
import { plainReporter } from '../../lib/report/plain.js';
import { tmpDir } from '../support/tmp.js';

const local = { transport: 'local' as const };
const NOUSER = 'shipshape-nouser';
const NOPKG = 'shipshape-no-such-package';

async function check(p: ReturnType<typeof createProject>, argv = ['--check']) {
  const events: EngineEvent[] = [];
  let text = '';
  const plain = plainReporter({ write: (s) => { text += s; } });
  const result = await deployProject(p, { argv, keepExitCode: true, reporter: (e) => { events.push(e); plain(e); } });
  const ends = events.filter((e): e is Extract<EngineEvent, { type: 'task-end' }> => e.type === 'task-end');
  return { result, ends, text };
}

test('check mode: a missing package and an unknown owner are "would fail", exit 2, and every task is still checked', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    const p = createProject();
    p.host('box', local)
      .apt([NOPKG])
      .file(join(dir, 'conf'), { content: 'x\n', owner: NOUSER })
      .file(join(dir, 'other'), { content: 'y\n', group: `${NOUSER}-g` })
      .file(join(dir, 'fine'), { content: 'z\n' });
    const r = await check(p);
    assert.is(r.result.exitCode, 2, r.text);
    const [apt, conf, other, fine] = r.ends;
    assert.is(apt!.result.status, 'failed');
    assert.match(apt!.result.wouldFail ?? '', `package ${NOPKG} has no installation candidate`);
    assert.match(conf!.result.wouldFail ?? '', `owner "${NOUSER}" does not exist on the host, and no earlier task creates it`);
    assert.match(other!.result.wouldFail ?? '', `group "${NOUSER}-g" does not exist on the host`);
    assert.is(fine!.result.status, 'changed', 'later tasks are still checked');
    assert.match(r.text, `box | apt ${NOPKG} | would fail: package ${NOPKG} has no installation candidate`);
    assert.match(r.text, `would fail: owner "${NOUSER}" does not exist`);
    assert.not.ok(existsSync(join(dir, 'conf')), 'check mode wrote nothing');
  } finally { cleanup(); }
});

test('check mode: an owner that an earlier user task creates is fine; after an apt task it cannot be known', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    const p = createProject();
    p.host('box', local)
      .user(NOUSER, { system: true })
      .file(join(dir, 'conf'), { content: 'x\n', owner: NOUSER, group: NOUSER });
    const r = await check(p);
    assert.is(r.result.exitCode, 0, r.text);
    assert.is(r.ends[1]!.result.status, 'changed');
    assert.is(r.ends[1]!.result.wouldFail, undefined);

    const q = createProject();
    q.host('box', local)
      .apt([], { updateCache: true })   // would refresh the lists: an apt task that would change
      .file(join(dir, 'conf'), { content: 'x\n', owner: NOUSER });
    const s = await check(q);
    assert.is(s.ends[1]!.result.status, 'changed');
    assert.match(s.ends[1]!.result.uncertain ?? '', `owner "${NOUSER}" does not exist on the host; an earlier apt task may create it`);
    assert.match(s.text, 'cannot know yet: owner');
  } finally { cleanup(); }
});

test('outside check mode a package without a candidate fails before apt-get runs, naming it', async () => {
  const p = createProject();
  p.host('box', local).apt([NOPKG]);
  const r = await check(p, []);
  assert.is(r.result.exitCode, 2);
  const err = r.ends[0]!.result.error!;
  assert.match(err.message, `package ${NOPKG} has no installation candidate`);
  assert.is(err.command, undefined, 'no command was run');
});

test.run();
