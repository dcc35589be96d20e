// reboot on a systemd lab host, as a handler (its usual place): a changed file notifies it,
// the host reboots (systemd-nspawn restarts it), the run connects again and goes on; a second
// run changes nothing and does not reboot. Needs root and the lab's tools. Port 24620.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createProject } from '../../../lib/dsl/project.js';
import { deployProject } from '../../../lib/engine/deploy.js';
import type { LabHost } from '../../../lib/lab/index.js';
import type { EngineEvent } from '../../../lib/report/events.js';
import { beforeAll } from '../../support/before-all.js';
import { ssh, withLab } from '../../support/lab.js';

const cluster = { nodes: [{ host_name: 'reboot-01', port_mappings: [{ guest_port: 22, host_port: 24620, host_ip: '127.0.0.1' }] }] };
let host: LabHost;
let release: () => void = () => undefined;
let lab: Promise<void> | undefined;

beforeAll(test, 'lab up', () => new Promise<void>((ready, fail) => {
  const held = new Promise<void>((r) => { release = r; });
  lab = withLab(cluster, async (hosts) => { host = hosts[0]!; ready(); await held; });
  lab.catch(fail);
}));
test.after(async () => { release(); await lab?.catch(() => undefined); });

/** When the host's PID 1 started (seconds since the machine's boot): it moves on every reboot. */
const bootMark = async () => (await ssh(host, 'cut -d" " -f22 /proc/1/stat')).stdout.trim();

async function deploy(text: string) {
  const p = createProject();
  p.host('reboot-01', { address: host.address, port: host.port, user: host.user, privateKey: host.privateKey, become: true })
    .file('/etc/reboot-me', { content: text, notify: 'reboot' })
    .flushHandlers()
    .shell('systemctl is-system-running --wait >/dev/null; cat /proc/1/stat | cut -d" " -f22', { name: 'after the reboot' })
    .handler('reboot', (h) => h.reboot({ timeout: 60 }));
  const events: EngineEvent[] = [];
  const t0 = performance.now();
  const result = await deployProject(p, { argv: [], keepExitCode: true, reporter: (e) => events.push(e) });
  const ends = events.flatMap((e) => (e.type === 'task-end' ? [e] : []));
  return { result, ends, seconds: (performance.now() - t0) / 1000 };
}

test('a changed file reboots the host through its handler; the run goes on over a new connection', async () => {
  const before = await bootMark();
  const r = await deploy('one\n');
  const why = r.ends.map((e) => `${e.task.name}: ${e.result.status} ${e.result.error?.message ?? ''}`).join('\n');
  assert.is(r.result.exitCode, 0, why);
  assert.ok(r.ends.some((e) => e.task.handler === 'reboot' && e.result.status === 'changed'), why);
  const after = r.ends.find((e) => e.task.name === 'after the reboot')!;
  assert.is(after.result.status, 'changed', why);
  assert.is.not((after.result.stdout ?? '').trim(), before, 'the task after the reboot ran on the rebooted host');
  assert.is(await bootMark(), (after.result.stdout ?? '').trim());
  assert.is((await ssh(host, 'systemctl is-system-running')).stdout.trim(), 'running');
  console.log(`  reboot: run with a reboot took ${r.seconds.toFixed(1)} s`);
});

test('a second run changes nothing and does not reboot', async () => {
  const before = await bootMark();
  const r = await deploy('one\n');
  assert.is(r.result.exitCode, 0);
  assert.ok(r.ends.every((e) => e.task.name === 'after the reboot' || e.result.status !== 'changed'), r.ends.map((e) => `${e.task.name}: ${e.result.status}`).join('\n'));
  assert.ok(!r.ends.some((e) => e.task.handler === 'reboot' && e.result.status !== 'skipped'));
  assert.is(await bootMark(), before);
});

test.run();
