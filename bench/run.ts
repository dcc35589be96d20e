// `npm run bench`: shipshape's webapp recipe vs the seed's Ansible playbook (bench/ansible,
// fixed to run on Debian 12, see bench/README.md) on the same lab hosts, in the same run.
// Each tool starts from the same clean base (hosts are reset between tools). Needs root.
//
//   npm run bench                  1 and 3 hosts, then the no-change run on 10 hosts
//   npm run bench -- --hosts 1,3   only those sizes (10 = no-change run only)
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { freemem, tmpdir } from 'node:os';
import { join } from 'node:path';
import mri from 'mri';
import { labDown, labReset, labUp, type LabHost } from '../lib/lab/index.js';
import { AnsibleRunner, ensureAnsible, type AnsibleMode, type AnsibleResult } from './ansible-run.js';
import { runShipshape, type ShipshapeResult } from './shipshape-run.js';
import { printTable, type Row } from './table.js';
import { expectPage } from './web.js';

const SSH_BASE = 23001;
const WEB_BASE = 28081;
const REPEATS = 3;
const HELLO = 'Hello, World!\n';
const CHANGED = 'Hello, bench!\n';

const a = mri(process.argv.slice(2), { string: ['hosts'] });
const sizes = String(a.hosts ?? '1,3,10').split(',').map(Number).filter((n) => n > 0).sort((x, y) => x - y);
const full = sizes.filter((n) => n <= 3);  // all scenarios; larger sizes get the no-change run only
const labSize = Math.max(...sizes);

const tmp = mkdtempSync(join(tmpdir(), 'ss-bench-'));
const clusterFile = join(tmp, 'cluster.json');
writeFileSync(clusterFile, JSON.stringify({
  nodes: Array.from({ length: labSize }, (_, i) => ({
    host_name: `bench-${i + 1}`,
    port_mappings: [
      { guest_port: 80, host_port: WEB_BASE + i, host_ip: '127.0.0.1' },
      { guest_port: 22, host_port: SSH_BASE + i, host_ip: '127.0.0.1' },
    ],
  })),
}, null, 2) + '\n');

// The seed's app, answering something else: the one-file change.
const seedApp = readFileSync(new URL('../spec/e2e/seed-playbook/web/files/code/app.py', import.meta.url), 'utf8');
const changedApp = join(tmp, 'app.py');
writeFileSync(changedApp, seedApp.replace('Hello, World!', 'Hello, bench!'));

const rows: Row[] = [];
const t0 = Date.now();
const log = (line: string) => console.error(`[${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${line}`);
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;

function okAnsible(r: AnsibleResult, what: string): AnsibleResult {
  if (r.code !== 0) throw new Error(`ansible ${what} failed (exit ${r.code}):\n${r.out.slice(-4000)}`);
  log(`ansible ${what}: ${r.seconds.toFixed(2)} s, changed=${r.changed}${r.changed && r.changed < 8 ? ` (${r.changedTasks.join('; ')})` : ''}`);
  return r;
}

function okShipshape(r: ShipshapeResult, what: string, changed?: number): ShipshapeResult {
  if (!r.ok) throw new Error(`shipshape ${what} failed:\n${r.failures}`);
  if (changed !== undefined && r.changed !== changed) throw new Error(`shipshape ${what}: ${r.changed} changed, expected ${changed}`);
  log(`shipshape ${what}: ${r.seconds.toFixed(2)} s, changed=${r.changed}`);
  return r;
}

async function ansibleRepeats(runner: AnsibleRunner, hosts: LabHost[], mode: AnsibleMode, what: string, repeats = REPEATS) {
  const runs: AnsibleResult[] = [];
  for (let i = 0; i < repeats; i++) runs.push(okAnsible(await runner.run(hosts, mode), `${what} #${i + 1}`));
  return { seconds: median(runs.map((r) => r.seconds)), changed: median(runs.map((r) => r.changed)) };
}

async function shipshapeRepeats(limit: string[], what: string) {
  const runs: ShipshapeResult[] = [];
  for (let i = 0; i < REPEATS; i++) runs.push(okShipshape(await runShipshape(clusterFile, limit, {}), `${what} #${i + 1}`, 0));
  return median(runs.map((r) => r.seconds));
}

/** Every scenario on the first `n` hosts: Ansible on clean hosts, reset, shipshape on clean hosts. */
async function benchSize(n: number, runner: AnsibleRunner): Promise<void> {
  const names = Array.from({ length: n }, (_, i) => `bench-${i + 1}`);
  const reset = async () => (await labReset(clusterFile, { hosts: names })).filter((h) => names.includes(h.name));
  log(`--- ${n} host(s): Ansible`);
  let hosts = await reset();
  const aFirst = okAnsible(await runner.run(hosts, 'tuned'), 'first run');
  await expectPage(hosts, HELLO, 'after Ansible\'s first run');
  const aNone = await ansibleRepeats(runner, hosts, 'tuned', 'no-change run');
  // Slower and only for reference: once, not a median.
  const aDefaults = await ansibleRepeats(runner, hosts, 'defaults', 'no-change run, Ansible defaults', 1);
  writeFileSync(runner.file('code/app.py'), readFileSync(changedApp));
  const aOne = okAnsible(await runner.run(hosts, 'tuned'), 'one-file change');
  writeFileSync(runner.file('code/app.py'), seedApp);
  // The seed's playbook has no handler restarting gunicorn: the new code is not served.
  const aServes = (await Promise.all(hosts.map(async (h) => { try { await expectPage([h], CHANGED, ''); return true; } catch { return false; } }))).every(Boolean);

  log(`--- ${n} host(s): shipshape`);
  hosts = await reset();
  const sFirst = okShipshape(await runShipshape(clusterFile, names, {}), 'first run');
  await expectPage(hosts, HELLO, 'after shipshape\'s first run');
  const sNone = await shipshapeRepeats(names, 'no-change run');
  const sOne = okShipshape(await runShipshape(clusterFile, names, { appSource: changedApp }), 'one-file change');
  await expectPage(hosts, CHANGED, 'after shipshape\'s one-file change');

  rows.push(
    { scenario: 'first run (fresh hosts)', hosts: n, ansible: aFirst.seconds, shipshape: sFirst.seconds, note: `changed: ansible ${aFirst.changed}, shipshape ${sFirst.changed}` },
    { scenario: `no change (median of ${REPEATS})`, hosts: n, ansible: aNone.seconds, shipshape: sNone, note: `changed: ansible ${aNone.changed} (the seed's pip install, 2 nginx reloads), shipshape 0` },
    { scenario: 'no change, Ansible defaults (1 run)', hosts: n, ansible: aDefaults.seconds, shipshape: sNone, note: 'no pipelining, forks 5, interpreter discovery' },
    { scenario: 'one file changed (app.py)', hosts: n, ansible: aOne.seconds, shipshape: sOne.seconds, note: `changed: ansible ${aOne.changed}${aServes ? '' : ' (new code not served: no restart)'}, shipshape ${sOne.changed} (copy + restart)` },
  );
}

/**
 * The no-change run on `n` hosts without a first-run race per tool (too slow on 2 cores):
 * converge with each tool once (untimed), then time its no-change runs.
 */
async function benchNoChange(n: number, runner: AnsibleRunner, all: LabHost[]): Promise<void> {
  const hosts = all.slice(0, n);
  const names = hosts.map((h) => h.name);
  log(`--- ${n} hosts: no-change runs (converging first)`);
  okShipshape(await runShipshape(clusterFile, names, {}), 'converge (untimed)');
  await expectPage(hosts, HELLO, 'after shipshape\'s converge');
  okAnsible(await runner.run(hosts, 'tuned'), 'converge (untimed)');
  await expectPage(hosts, HELLO, 'after Ansible\'s converge');
  const aNone = await ansibleRepeats(runner, hosts, 'tuned', 'no-change run');
  okShipshape(await runShipshape(clusterFile, names, {}), 'converge back (untimed)');
  const sNone = await shipshapeRepeats(names, 'no-change run');
  rows.push({ scenario: `no change (median of ${REPEATS})`, hosts: n, ansible: aNone.seconds, shipshape: sNone, note: `changed: ansible ${aNone.changed}, shipshape 0` });
}

let cleaning: Promise<void> | undefined;
function cleanup(): Promise<void> {
  cleaning ??= labDown(clusterFile)
    .catch((e: unknown) => console.error('lab down failed:', e))
    .finally(() => rmSync(tmp, { recursive: true, force: true }));
  return cleaning;
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(sig, () => {
    console.error(`\n${sig}: tearing the lab down`);
    void cleanup().finally(() => process.exit(130));
  });
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the bench brings up lab hosts: run it as root (sudo npm run bench)');
  const big = sizes.filter((n) => n > 3);
  const needMiB = labSize * 100 * 2;
  if (big.length && freemem() / 2 ** 20 < needMiB) {
    throw new Error(`${labSize} lab hosts need about ${labSize * 100} MiB; only ${(freemem() / 2 ** 20).toFixed(0)} MiB free: pass --hosts 1,3`);
  }
  ensureAnsible();
  const runner = new AnsibleRunner(tmp);
  log(`lab up: ${labSize} host(s), ssh ${SSH_BASE}-${SSH_BASE + labSize - 1}, web ${WEB_BASE}-${WEB_BASE + labSize - 1}`);
  const all = await labUp(clusterFile, { log: (l) => log(`lab: ${l}`) });
  for (const n of full) await benchSize(n, runner);
  for (const n of big) await benchNoChange(n, runner, all);
  console.log(`\nshipshape vs Ansible (ansible-core ${runner.version()}), webapp recipe vs the seed's playbook with bench/ansible's fixes, same lab hosts\n`);
  printTable(rows);
  console.log(`\ntotal bench time ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}

try {
  await main();
} catch (e) {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
} finally {
  await cleanup();
}
