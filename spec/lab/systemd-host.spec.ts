// Real lab, one host booted with systemd under systemd-nspawn: PID 1, a running system with no
// failed unit, units written by hand, `systemctl reboot`, memory, and a clean down.
// Boot time and memory are measured and printed, never asserted. Needs root. Ports 24001, 24002.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hostMemory, labDown, labUp, type LabHost } from '../../lib/lab/index.js';
import { liveInit, sshAnswers, stopHost } from '../../lib/lab/host.js';
import { procsWithArgUnder } from '../../lib/lab/proc.js';
import { clusterKey, clusterPaths, hostPaths, labPaths } from '../../lib/lab/paths.js';
import type { ClusterState } from '../../lib/lab/state.js';
import { beforeAll } from '../support/before-all.js';
import { hostPids, labLeftovers, labState, ssh, waitUntil } from '../support/lab.js';

const dir = mkdtempSync(join(tmpdir(), 'ss-lab-systemd-'));
const file = join(dir, 'cluster.json');
writeFileSync(file, JSON.stringify({ nodes: [{
  host_name: 'sd-one',
  port_mappings: [
    { guest_port: 22, host_port: 24001, host_ip: '127.0.0.1' },
    { guest_port: 80, host_port: 24002, host_ip: '127.0.0.1' },
  ],
}] }, null, 2));
let host: LabHost;
const measured: string[] = [];
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

const root = (command: string) => ssh(host, command, { user: 'root' });

async function out(command: string): Promise<string> {
  const r = await root(command);
  assert.is(r.code, 0, `${command}: ${r.stderr}`);
  return r.stdout.trim();
}

const init = () => liveInit(labState(file)!.hosts[0]!);

beforeAll(test, 'lab up', async () => {
  const t0 = performance.now();
  host = (await labUp(file))[0]!;
  const up = Date.now();
  measured.push(`lab up (base cached, a new host): ${secs(performance.now() - t0)} until sshd answered and the forwards and known_hosts were in place`);
  // the console log's first line is stamped when the host is started
  const console0 = readFileSync(hostPaths(clusterPaths(labPaths(), clusterKey(file)), 'sd-one').console, 'utf8');
  const started = Date.parse(/^--- (\S+) starting/m.exec(console0)?.[1] ?? '');
  measured.push(`boot: sshd answered ${secs(up - started)} after systemd-nspawn was started (at most; lab up returned then)`);
});

test.after(async () => {
  await labDown(file).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
  console.log(`\n  ${measured.join('\n  ')}`);
});

test('PID 1 of the host is systemd, seen from inside and from the controller', async () => {
  assert.is(await out('cat /proc/1/comm'), 'systemd');
  const pid1 = init();
  assert.ok(pid1, 'the lab knows the host\'s init');
  assert.is(readFileSync(`/proc/${pid1!.pid}/comm`, 'utf8').trim(), 'systemd');
  assert.is(readFileSync(`/proc/${pid1!.pid}/cmdline`, 'utf8').split('\0')[0], '/usr/lib/systemd/systemd');
});

test('the system is running, with no failed unit, and sshd is an enabled, active unit', async () => {
  assert.is((await root('systemctl is-system-running --wait')).stdout.trim(), 'running');
  assert.is(await out('systemctl list-units --failed --no-legend --plain'), '');
  assert.is(await out('systemctl is-enabled ssh.service; systemctl is-active ssh.service'), 'enabled\nactive');
  assert.is(await out('systemd-detect-virt --container'), 'systemd-nspawn');
  assert.is(await out('hostname'), 'sd-one');
  // empty in the base: systemd takes the host's boot UUID, fixed per host
  assert.match(await out('cat /etc/machine-id'), /^[0-9a-f]{32}$/);
  assert.is(await out('findmnt -rn -o OPTIONS /srv/localrepo | cut -d, -f1; findmnt -rn -o OPTIONS /srv/wheelhouse | cut -d, -f1'), 'ro\nro');
  measured.push(`inside: ${await out('systemd-analyze | head -1')}`);
});

test('an idle host\'s memory, summed over its processes', async () => {
  // the earlier tests' ssh sessions are gone once the listener is the only sshd
  await waitUntil('the ssh sessions to end', () => hostPids(file, 'sd-one', 'sshd').length === 1, 10_000, 50);
  const [m] = hostMemory(file);
  assert.ok(m && m.processes > 0, 'hostMemory sees the host\'s processes');
  measured.push(`idle host: ${m!.processes} processes (systemd, journald, dbus, logind, agetty, sshd), RSS ${Math.round(m!.rssKiB / 1024)} MiB, PSS ${Math.round(m!.pssKiB / 1024)} MiB; plus systemd-nspawn and its wrapper on the controller, PSS ${Math.round(m!.supervisorPssKiB / 1024)} MiB`);
});

test('a unit written to /etc/systemd/system starts after daemon-reload', async () => {
  writeFileSync(join(dir, 'ss-hello.service'), '[Unit]\nDescription=shipshape hello\n[Service]\nExecStart=/bin/sh -c \'echo hello > /run/ss-hello; exec sleep infinity\'\n[Install]\nWantedBy=multi-user.target\n');
  const put = await ssh(host, 'cat > /etc/systemd/system/ss-hello.service', { user: 'root', input: readFileSync(join(dir, 'ss-hello.service'), 'utf8') });
  assert.is(put.code, 0, put.stderr);
  await out('systemctl daemon-reload && systemctl enable --now ss-hello.service');
  assert.is(await out('systemctl is-active ss-hello.service; cat /run/ss-hello'), 'active\nhello');
});

test('systemctl reboot brings the host back: same address, same host key, enabled units up again', async () => {
  const before = init()!;
  const key = await out('cat /etc/ssh/ssh_host_ed25519_key.pub');
  const boots = Number(await out('journalctl --list-boots --no-pager | tail -n +2 | wc -l'));
  const t0 = performance.now();
  await root('systemctl reboot'); // the connection may drop before ssh hears the exit status
  await waitUntil('the old systemd to stop', () => init()?.pid !== before.pid, 30_000, 10);
  await waitUntil('sshd to answer again', () => sshAnswers(host.address, 500), 30_000, 10);
  const answered = performance.now();
  // strict host key checking against the known_hosts that lab up wrote: the same key
  assert.is(await out('hostname -I'), host.address);
  const back = performance.now();
  measured.push(`systemctl reboot: sshd answered after ${secs(answered - t0)}, ssh worked after ${secs(back - t0)}`);
  assert.is(await out('cat /etc/ssh/ssh_host_ed25519_key.pub'), key);
  assert.is(Number(await out('journalctl --list-boots --no-pager | tail -n +2 | wc -l')), boots + 1);
  // /run is a fresh tmpfs on each boot: the enabled unit ran again
  assert.is(await out('systemctl is-active ss-hello.service; cat /run/ss-hello'), 'active\nhello');
  assert.is((await root('systemctl is-system-running --wait')).stdout.trim(), 'running');
  const logged: string[] = [];
  await labUp(file, { log: (l) => logged.push(l) });
  assert.match(logged.join('\n'), 'is already up');
  assert.equal(labState(file)!.hosts[0]!.init, init(), 'lab up records the new systemd');
});

test('lab down stops the host in order and leaves nothing behind', async () => {
  const state = labState(file) as ClusterState;
  const cluster = clusterPaths(labPaths(), clusterKey(file));
  const paths = hostPaths(cluster, 'sd-one');
  const t0 = performance.now();
  // what lab down does first, here on its own to read the console before the files go
  assert.ok(await stopHost(state.hosts[0]!), 'the host stopped');
  measured.push(`stopping the host (systemd's poweroff, asked by SIGTERM): ${secs(performance.now() - t0)}`);
  const shutdown = readFileSync(paths.console, 'utf8').split('rebooted: starting it again').pop()!;
  assert.match(shutdown, /Halting system|Powering off/, `the console after the stop ends:\n${shutdown.slice(-1500)}`);
  // The order is read from the host's journal (persistent, in its upper dir), not the console:
  // a status line on the console can go missing when the controller is busy, the journal keeps
  // each one. Under the last boot: sshd told to stop by systemd, stopped, then the system halted.
  const journal = execFileSync('journalctl', ['-D', join(paths.upper, 'var/log/journal'), '-b', '0', '--no-pager', '-o', 'cat'], { encoding: 'utf8' });
  const at = (line: RegExp) => journal.split('\n').findIndex((l) => line.test(l));
  const order = [/^Stopping ssh\.service - OpenBSD Secure Shell server/, /^Received signal 15; terminating/, /^Stopped ssh\.service - OpenBSD Secure Shell server/,
    /^Reached target shutdown\.target/, /^Shutting down\./].map(at);
  assert.ok(order.every((i) => i >= 0), `each step is in the journal (${order.join(', ')}):\n${journal.split('\n').slice(-60).join('\n')}`);
  assert.ok(order[0]! < order[2]! && order[1]! < order[2]! && order[2]! < order[3]! && order[3]! < order[4]!, `in order: ${order.join(', ')}`);
  await labDown(file);
  assert.equal(await labLeftovers(state), []);
  assert.equal(procsWithArgUnder(cluster.dir), [], 'no process runs on the host\'s files');
  assert.not.ok(existsSync(cluster.dir), 'the cluster\'s state dir is gone');
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8');
  assert.not.ok(mounts.includes(cluster.dir) || mounts.includes(state.hosts[0]!.netns), 'no mount of the host on the machine');
});

test.run();
