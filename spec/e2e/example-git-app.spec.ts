// The example recipe examples/git-app, run as its README says (`npx tsx --tsconfig
// examples/tsconfig.json examples/git-app/deploy.ts`) against a systemd lab host: the app is
// cloned from a git repository the lab serves, runs under its systemd unit, its timer is
// scheduled; a second run changes nothing; a new commit is deployed and restarts the app.
// Needs root and the lab's tools. Ports 24600-24601.
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { getPage, guestUrl, serveLab, type LabHost, type LabServer } from '../../lib/lab/index.js';
import { beforeAll } from '../support/before-all.js';
import { ssh, withLab } from '../support/lab.js';
import { git as gitIn, publishRepo } from '../support/git-repo.js';
import { tmpDir } from '../support/tmp.js';

const exec = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const cluster = {
  nodes: [{
    host_name: 'gitapp-01', port_mappings: [
      { guest_port: 22, host_port: 24600, host_ip: '127.0.0.1' },
      { guest_port: 8000, host_port: 24601, host_ip: '127.0.0.1' },
    ],
  }],
};
const local = tmpDir('ss-git-app-');
const work = join(local.dir, 'work');
const served = join(local.dir, 'served');

let host: LabHost;
let clusterFile: string;
let server: LabServer;
let release: () => void = () => undefined;
let lab: Promise<void> | undefined;

const git = (args: string[], cwd = work) => gitIn(args, cwd);

beforeAll(test, 'lab up, the app in a served git repository', () => new Promise<void>((ready, fail) => {
  const held = new Promise<void>((r) => { release = r; });
  lab = withLab(cluster, async (hosts, file) => {
    host = hosts[0]!;
    clusterFile = file;
    mkdirSync(served, { recursive: true });
    cpSync(join(repoRoot, 'examples/git-app/app'), work, { recursive: true });
    await publishRepo(work, join(served, 'hello.git'), { message: 'first version' });
    server = await serveLab(served);
    ready();
    await held;
  });
  lab.catch(fail);
}));

test.after(async () => {
  await server?.close();
  release();
  await lab?.catch(() => undefined);
  local.cleanup();
});

interface JsonRun { code: number; out: string; tasks: { name: string; status: string; handler?: string; changes: { what: string; before?: string; after?: string }[] }[] }

/** Runs the example's deploy.ts as its comment says, with a JSON report. */
async function deploy(...flags: string[]): Promise<JsonRun> {
  const report = join(local.dir, `report-${Date.now()}.json`);
  const r = await exec('npx', ['tsx', '--tsconfig', 'examples/tsconfig.json', 'examples/git-app/deploy.ts', '--json', report, ...flags], {
    cwd: repoRoot, env: { ...process.env, SHIPSHAPE_INVENTORY: clusterFile, APP_REPO: `${server.url}/hello.git`, FORCE_COLOR: '0' },
  }).then((x) => ({ code: 0, out: x.stdout + x.stderr }), (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: e.code ?? 1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` }));
  const doc = JSON.parse(readFileSync(report, 'utf8')) as { tasks: JsonRun['tasks'] };
  return { ...r, tasks: doc.tasks };
}

const changed = (r: JsonRun) => r.tasks.filter((t) => t.status === 'changed' && !t.name.includes('answers')).map((t) => (t.handler ? `handler ${t.handler}: ${t.name}` : t.name));
const on = async (cmd: string) => (await ssh(host, cmd, { user: 'root' })).stdout.trim();

test('the first run clones the app, starts its unit and its timer, and the app answers', async () => {
  const r = await deploy();
  assert.is(r.code, 0, r.out);
  assert.ok(changed(r).some((n) => n.startsWith('git ')), `the clone is a change: ${changed(r).join(', ')}`);
  assert.is((await getPage(guestUrl(host, 8000))).body, 'Hello from git!\n');
  assert.is(await on('systemctl is-active hello.service; systemctl is-enabled hello.service'), 'active\nenabled');
  assert.is(await on('systemctl is-active hello-report.timer; systemctl is-enabled hello-report.timer'), 'active\nenabled');
  assert.match(await on('systemctl list-timers --all --no-legend hello-report.timer'), /hello-report\.timer/);
  // the timer's job works when it fires
  await on('systemctl start hello-report.service');
  const head = await git(['rev-parse', '--short', 'HEAD']);
  assert.match(await on('cat /var/lib/hello/report.txt'), new RegExp(` ${head}$`));
});

test('a second run changes nothing', async () => {
  const r = await deploy();
  assert.is(r.code, 0, r.out);
  assert.equal(changed(r), []);
});

test('a new commit is deployed: git reports old → new, the handler restarts the app, which serves the new text', async () => {
  const before = await git(['rev-parse', 'HEAD']);
  const pid = await on('systemctl show -p MainPID --value hello.service');
  writeFileSync(join(work, 'message.txt'), 'Second version\n');
  await git(['commit', '-qam', 'second version']);
  await git(['push', '-q', 'origin', 'main']);
  const after = await git(['rev-parse', 'HEAD']);

  const check = await deploy('--check');
  assert.is(check.code, 0, check.out);
  assert.is(await on(`git -C /opt/hello rev-parse HEAD`), before, 'check mode changed nothing');

  const r = await deploy();
  assert.is(r.code, 0, r.out);
  const g = r.tasks.find((t) => t.name.startsWith('git '));
  assert.ok(g && g.status === 'changed', r.out);
  const c = g.changes.map((x) => `${x.before} → ${x.after}`).join(' ');
  assert.ok(c.includes(before.slice(0, 7)) && c.includes(after.slice(0, 7)), `git reports old → new: ${c}`);
  assert.ok(changed(r).some((n) => n.startsWith('handler restart hello')), changed(r).join(', '));
  assert.is((await getPage(guestUrl(host, 8000))).body, 'Second version\n');
  assert.is.not(await on('systemctl show -p MainPID --value hello.service'), pid, 'the app was restarted');
});

test.run();
