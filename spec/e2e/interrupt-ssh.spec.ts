// An interrupt reaches a command running on a lab host over SSH: the task is reported aborted,
// the rest skipped, and the command's processes on the host are gone. Port 23310 (ssh).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createProject } from '../../lib/dsl/project.js';
import { deployProject } from '../../lib/engine/deploy.js';
import type { EngineEvent } from '../../lib/report/events.js';
import { ssh, withLab } from '../support/lab.js';

test('an abort stops a command running over SSH under become; its child on the host is gone', async () => {
  await withLab({ nodes: [{ host_name: 'int-01', port_mappings: [{ guest_port: 22, host_port: 23310, host_ip: '127.0.0.1' }] }] }, async ([h], file) => {
    const p = createProject();
    p.inventory.load(file);
    p.host('int-01')
      .shell('sleep 120 & echo $! > /tmp/long.pid; wait', { name: 'long task' })
      .shell('touch /tmp/second', { name: 'second task' });
    const ac = new AbortController();
    const events: EngineEvent[] = [];
    const root = (c: string) => ssh(h!, c, { user: 'root' });
    // Abort once the command has written its child's pid on the host (bounded: 60 s).
    const watch = (async () => {
      for (let i = 0; i < 600; i++) {
        if ((await root('cat /tmp/long.pid 2>/dev/null')).stdout.trim()) { ac.abort(); return; }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const r = await deployProject(p, { argv: [], keepExitCode: true, signal: ac.signal, reporter: (e) => events.push(e) });
    await watch;
    const ends = events.filter((e): e is Extract<EngineEvent, { type: 'task-end' }> => e.type === 'task-end');
    assert.equal(ends.map((e) => e.result.status), ['aborted', 'skipped']);
    assert.is(r.exitCode, 130);
    const pid = (await root('cat /tmp/long.pid')).stdout.trim();
    assert.match(pid, /^\d+$/);
    let state = '';
    for (let i = 0; i < 100; i++) {
      state = (await root(`if [ -d /proc/${pid} ]; then awk '{print $3}' /proc/${pid}/stat; else echo gone; fi`)).stdout.trim();
      if (state === 'gone' || state === 'Z') break;
      await new Promise((res) => setTimeout(res, 100));
    }
    assert.ok(state === 'gone' || state === 'Z', `the command's child (pid ${pid}) still runs on the host: ${state}`);
    assert.is((await root('test -e /tmp/second && echo yes || echo no')).stdout.trim(), 'no');
  });
});

test.run();
