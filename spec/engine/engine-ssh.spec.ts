// The engine over a real sshd (the loopback fixture): one TCP connection per host, and a
// connection killed mid-task ends the run with the host unreachable instead of hanging.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createProject } from '../../lib/dsl/project.js';
import { deployProject } from '../../lib/engine/deploy.js';
import { connectHost } from '../../lib/transport/connect.js';
import type { HostPlan } from '../../lib/plan/types.js';
import type { EngineEvent } from '../../lib/report/events.js';
import { signalAll, withSshd, type Sshd } from '../support/sshd.js';
import { settles, waitFor } from '../support/wait.js';

const conn = (s: Sshd) => ({ address: s.address, port: s.port, user: 'root', privateKey: s.userKey, knownHostsFile: s.knownHosts });

test('a run over SSH uses one connection per host, and one round trip when nothing changes', async () => {
  await withSshd(async (s) => {
    const dir = join(s.dir, 'work');
    const build = () => {
      const p = createProject();
      p.host('srv', conn(s))
        .file(dir, { state: 'directory', mode: 0o750 })
        .file(join(dir, 'a'), { content: 'a\n' })
        .file(join(dir, 'b'), { content: 'b\n', notify: 'touch' })
        .handler('touch', (h) => h.shell(`touch ${join(dir, 'handled')}`));
      return p;
    };
    const before = s.connections();
    const first = await deployProject(build(), { argv: [], keepExitCode: true, reporter: () => undefined });
    assert.is(first.exitCode, 0);
    assert.is(first.hosts.srv!.changed, 4);
    assert.is(s.connections() - before, 1, 'first run: one TCP connection');
    let execs = 0;
    const counting = async (h: HostPlan) => {
      const t = await connectHost(h);
      return { host: t.host, put: t.put.bind(t), close: t.close.bind(t), exec: (c: string, o?: object) => { execs++; return t.exec(c, o); } };
    };
    const second = await deployProject(build(), { argv: [], keepExitCode: true, reporter: () => undefined, connect: counting });
    assert.is(second.hosts.srv!.changed, 0);
    assert.is(s.connections() - before, 2, 'second run: one more connection');
    assert.is(execs, 1, 'second run: one command, the batched probe');
  });
});

test('a connection killed mid-task fails the task, marks the host unreachable and ends the run', async () => {
  await withSshd(async (s) => {
    const p = createProject();
    const started = join(s.dir, 'long-task-started');
    p.host('srv', conn(s))
      .shell(`touch ${started}; sleep 300`, { name: 'long task' })
      .shell(`touch ${join(s.dir, 'never')}`, { name: 'next task' });
    const events: EngineEvent[] = [];
    const run = deployProject(p, { argv: [], keepExitCode: true, reporter: (e) => events.push(e) });
    // Kill once the task's command runs on the host, not after a guessed delay.
    await waitFor('the long task to start on the host', () => existsSync(started));
    signalAll(s.sessionPids(), 'SIGKILL');
    const r = await settles('the run after its connection was killed', run);
    assert.is(r.exitCode, 3);
    assert.is(r.hosts.srv!.unreachable, 1);
    const ends = events.filter((e): e is Extract<EngineEvent, { type: 'task-end' }> => e.type === 'task-end');
    assert.equal(ends.map((e) => [e.task.name, e.result.status]), [['long task', 'unreachable']]);
    assert.match(ends[0]!.result.error!.message, /connection/i);
    assert.not.ok(existsSync(join(s.dir, 'never')), 'the next task did not run');
  });
});

test.run();
