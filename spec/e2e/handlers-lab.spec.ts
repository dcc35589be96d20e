// On a real lab host over SSH: a failed run's handlers stay pending on the host and run next
// time (the app is really restarted), and --check names changes that would fail.
// Ports 23300 (ssh) and 23400 (web).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createProject } from '../../lib/dsl/project.js';
import { deployProject } from '../../lib/engine/deploy.js';
import type { LabHost } from '../../lib/lab/index.js';
import type { EngineEvent } from '../../lib/report/events.js';
import { webapp, type WebappParams } from '../../recipes/webapp/index.js';
import { ssh, withLab } from '../support/lab.js';
import { clusterOf } from './webapp-helpers.js';

const root = (h: LabHost, command: string) => ssh(h, command, { user: 'root' });

async function deployOn(clusterFile: string, build: (p: ReturnType<typeof createProject>) => void, argv: string[] = []) {
  const p = createProject();
  p.inventory.load(clusterFile);
  build(p);
  const events: EngineEvent[] = [];
  const result = await deployProject(p, { argv, keepExitCode: true, reporter: (e) => events.push(e) });
  const ends = events.filter((e): e is Extract<EngineEvent, { type: 'task-end' }> => e.type === 'task-end');
  const why = ends.filter((e) => e.result.status === 'failed').map((e) => `${e.task.name}: ${e.result.wouldFail ?? e.result.error?.explain()}`).join('\n')
    + (result.problems ?? []).map((p) => p.message).join('\n');
  return { result, ends, events, why };
}

test('a failed run leaves its handler pending on the host; the next run restarts the app with nothing else changed; the third runs nothing', async () => {
  await withLab(clusterOf('hl', 1, 23300), async ([h], file) => {
    const app = (params: WebappParams, fail: boolean) => (p: ReturnType<typeof createProject>) => {
      p.group('all').use(webapp, params);
      if (fail) p.host('hl-1').shell('echo "a later task fails" >&2; exit 1', { name: 'a later task fails' });
    };
    // The health check is off here: with it, the recipe restarts the app before its check
    // (flushHandlers), ahead of any later failure; without it the restart waits for the end.
    const noCheck = { healthPath: false as const };
    const first = await deployOn(file, app(noCheck, false));
    assert.is(first.result.exitCode, 0, first.why);
    const pid = async () => (await root(h!, 'supervisorctl pid app')).stdout.trim();
    const pid1 = await pid();
    assert.match(pid1, /^\d+$/);

    // gunicorn's config changes (the restart is notified), then a later task fails.
    const second = await deployOn(file, app({ ...noCheck, workers: 2 }, true));
    assert.is(second.result.exitCode, 2);
    const restart = second.ends.filter((e) => e.task.handler === 'restart app');
    assert.ok(restart.length > 0 && restart.every((e) => e.result.status === 'skipped'), 'the restart did not run');
    assert.match(restart[0]!.result.reason ?? '', 'stays pending on the host');
    assert.match((await root(h!, 'cat /var/lib/shipshape/pending-handlers')).stdout, /^restart app$/m);
    assert.is(await pid(), pid1, 'the app still runs the old config');

    // The failure is gone; nothing else differs, and the pending restart runs.
    const third = await deployOn(file, app({ ...noCheck, workers: 2 }, false));
    assert.is(third.result.exitCode, 0, third.why);
    const pending = third.events.find((e) => e.type === 'handlers-pending');
    assert.ok(pending && pending.type === 'handlers-pending' && pending.names.includes('restart app'));
    assert.equal(third.ends.filter((e) => !e.task.handler && e.result.status === 'changed').map((e) => e.task.name), [], 'no task changed');
    assert.ok(third.ends.some((e) => e.task.handler === 'restart app' && e.result.status === 'changed'), 'the restart ran');
    const pid3 = await pid();
    assert.match(pid3, /^\d+$/);
    assert.is.not(pid3, pid1, 'gunicorn was restarted');
    assert.is((await root(h!, 'test -e /var/lib/shipshape/pending-handlers && echo left || echo gone')).stdout.trim(), 'gone');
    const procs = await root(h!, "pgrep -f '[g]unicorn -c gunicorn.conf.py' | wc -l");
    assert.is(Number(procs.stdout.trim()), 1 + 2, 'the master and the 2 workers the new config asks for');

    const fourth = await deployOn(file, app({ ...noCheck, workers: 2 }, false));
    assert.is(fourth.result.exitCode, 0, fourth.why);
    assert.equal(fourth.ends.filter((e) => e.task.handler && e.result.status !== 'skipped').map((e) => e.task.name), [], 'no handler ran');
    assert.is(await pid(), pid3);

    // --check on a plan with a package that does not exist and an owner that does not exist.
    const check = await deployOn(file, (p) => p.host('hl-1')
      .apt(['shipshape-no-such-package'])
      .file('/etc/shipshape-check.conf', { content: 'x\n', owner: 'no-such-user' }), ['--check']);
    assert.is(check.result.exitCode, 2);
    assert.match(check.why, 'package shipshape-no-such-package has no installation candidate');
    assert.match(check.why, 'owner "no-such-user" does not exist on the host');
    assert.is((await root(h!, 'test -e /etc/shipshape-check.conf && echo yes || echo no')).stdout.trim(), 'no');
  });
});

test.run();
