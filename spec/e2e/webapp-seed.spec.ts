// A systemd lab host provisioned by the seed tutorial's own Ansible playbook (spec/e2e/seed-playbook,
// verbatim), then converged by the webapp recipe: only the deliberate differences listed in
// recipes/webapp/README.md change. Needs ansible-playbook (Debian's ansible-core 2.14 runs
// the seed's `include:`). Ports 22600 (ssh) and 22700 (web).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { labDown, labUp, type LabHost } from '../../lib/lab/index.js';
import { beforeAll } from '../support/before-all.js';
import { ensureCommand } from '../support/debian.js';
import { ssh, waitUntil } from '../support/lab.js';
import { clusterOf, deployWebapp, failures, page, webUrl } from './webapp-helpers.js';

const PLAYBOOK_DIR = fileURLToPath(new URL('./seed-playbook/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ss-webapp-seed-'));
const file = join(dir, 'cluster.json');
writeFileSync(file, JSON.stringify(clusterOf('seed', 1, 22600), null, 2) + '\n');
let host: LabHost;

/** Runs the seed's playbook as Vagrant's provisioner did: as vagrant, with its key. */
function ansiblePlaybook(extra: string[] = []): Promise<{ code: number; out: string }> {
  const inventory = join(dir, 'inventory.ini');
  writeFileSync(inventory, `[webservers]\n${host.name} ansible_host=${host.address} ansible_port=${host.port} ansible_user=vagrant ansible_ssh_private_key_file=${host.privateKey}\n`);
  return new Promise((resolve) => {
    execFile('ansible-playbook', ['-i', inventory, 'playbook.yaml', ...extra], {
      cwd: PLAYBOOK_DIR, maxBuffer: 32 * 1024 * 1024,
      env: {
        ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_RETRY_FILES_ENABLED: '0', ANSIBLE_PYTHON_INTERPRETER: '/usr/bin/python3',
        ANSIBLE_LOCAL_TEMP: join(dir, 'ansible-tmp'), ANSIBLE_DEPRECATION_WARNINGS: '0',
      },
    }, (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }));
  });
}

process.once('beforeExit', () => { labDown(file).catch(() => undefined); });

beforeAll(test, 'ansible and lab up', async () => {
  ensureCommand('ansible-playbook', 'ansible-core');
  host = (await labUp(file))[0]!;
});

test.after(async () => {
  await labDown(file);
  rmSync(dir, { recursive: true, force: true });
});

test('the seed\'s playbook runs to the end on a systemd lab host with no failed task, and the app answers', async () => {
  const t0 = Date.now();
  const first = await ansiblePlaybook();
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  assert.is(first.code, 0, first.out);
  assert.match(first.out, /PLAY RECAP[^]*seed-1\s+: ok=\d+\s+changed=\d+\s+unreachable=0\s+failed=0\s/);
  assert.not.match(first.out, /fatal: \[seed-1\]/);
  // `service: supervisor state=reloaded` is `systemctl reload supervisor` now, as on the
  // tutorial's VM: supervisord reads conf.d and starts the app
  assert.match(first.out, /TASK \[web : Reload supervisord\]\s*\*+\s*changed: \[seed-1\]/);
  console.log(`\n  seed playbook: ${secs} s, no failed task`);
  assert.match((await ssh(host, 'cat /opt/webapp/app.py')).stdout, /Hello, World!/);
  assert.is((await ssh(host, 'systemctl is-active supervisor nginx')).stdout, 'active\nactive\n');
  let got: unknown;
  await waitUntil('the app to answer through nginx', async () => {
    got = await page(webUrl(host)).catch((e: Error) => e.message);
    return JSON.stringify(got) === JSON.stringify({ status: 200, body: 'Hello, World!\n' });
  }, 30_000, 200).catch(() => assert.equal(got, { status: 200, body: 'Hello, World!\n' }));
});

test('the recipe converges a host provisioned by the seed\'s playbook with only the deliberate differences', async () => {
  const r = await deployWebapp(file, {});
  assert.ok(r.result.ok, failures(r));
  assert.equal(r.changed('seed-1'), [
    // Requirements are installed once more, to record what was installed (then only on change).
    'pip -r /opt/webapp/requirements.txt in /opt/webapp/venv',
    // Root's, not vagrant's: supervisord runs this program as root. The changed program file
    // has supervisor reread it and the app restart.
    'template app_supervisor.conf → /etc/supervisor/conf.d/app_supervisor.conf',
    'handler update supervisor: supervisorctl reread', 'handler update supervisor: supervisorctl update',
    'handler restart app: supervisorctl restart app',
    // Not changed: gunicorn's log files (the seed's app, run as root, created them as the
    // recipe wants them for runAs root) and the program (the seed's reload loaded it, RUNNING).
  ]);
  const program = r.ends.find((e) => e.name.startsWith('template app_supervisor.conf'))!;
  assert.equal(program.result.changes.map((c) => `${c.what} ${c.before} → ${c.after}`), ['owner vagrant → root', 'group vagrant → root'], 'the same content');
  assert.equal(await page(webUrl(host)), { status: 200, body: 'Hello, World!\n' });
  const again = await deployWebapp(file, {});
  assert.ok(again.result.ok, failures(again));
  assert.equal(again.changed('seed-1'), []);
});

test.run();
