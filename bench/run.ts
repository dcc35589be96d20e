// `npm run bench`: shipshape vs Ansible and Ansible + Mitogen on the same lab hosts, in the
// same run, whole processes as a user runs them, against floors measured in that run; see
// bench/README.md. Needs root. Prints the figures and the targets, writes
// bench/results/<yyyy-mm-dd>.json, exits 1 when a target is missed (not with --no-fail).
//
//   npm run bench                          webapp on 1, 10, 50 hosts; light plan on 100, 200
//   npm run bench -- --hosts 1,10          only those sizes (<= 50: webapp, > 50: light plan)
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, freemem, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mri from 'mri';
import { labDown, labUp } from '../lib/lab/index.js';
import { AnsibleRunner, ensureAnsible } from './ansible-run.js';
import { SSH_BASE, WEB_BASE, firstHosts, writeCluster } from './cluster.js';
import { ensureTime } from './measure.js';
import { CHANGED, HELLO, lightSize, webappSize, type Bench } from './scenarios.js';
import { ShipshapeProject } from './shipshape-run.js';
import { figuresTable, targetsTable } from './table.js';
import { checkTargets } from './targets.js';

/** Sizes up to this run the webapp; larger ones the light plan. */
const WEBAPP_MAX = 50;

const a = mri(process.argv.slice(2), { string: ['hosts', 'repeats'], boolean: ['fail'], default: { fail: true } });
const sizes = [...new Set(String(a.hosts ?? '1,10,50,100,200').split(',').map(Number))].sort((x, y) => x - y);
if (!sizes.length || sizes.some((n) => !Number.isInteger(n) || n < 1 || n > 240)) {
  console.error(`--hosts ${a.hosts}: give host counts from 1 to 240, comma-separated, like --hosts 1,10`);
  process.exit(2);
}
const repeats = Number(a.repeats ?? 3);
const webSizes = sizes.filter((n) => n <= WEBAPP_MAX);
const lightSizes = sizes.filter((n) => n > WEBAPP_MAX);
const labSize = Math.max(...sizes);

const seedApp = readFileSync(new URL('../spec/e2e/seed-playbook/web/files/code/app.py', import.meta.url), 'utf8');
const changedApp = seedApp.replace(HELLO.trim(), CHANGED.trim());
const tmp = mkdtempSync(join(tmpdir(), 'ss-bench-'));
const t0 = Date.now();
const log = (line: string) => console.error(`[${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${line}`);

let project: ShipshapeProject | undefined;
let clusterFile: string | undefined;
let cleaning: Promise<void> | undefined;
function cleanup(): Promise<void> {
  cleaning ??= (clusterFile ? labDown(clusterFile) : Promise.resolve())
    .catch((e: unknown) => console.error('lab down failed:', e))
    .finally(() => {
      project?.cleanup();
      rmSync(tmp, { recursive: true, force: true });
    });
  return cleaning;
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(sig, () => {
    console.error(`\n${sig}: tearing the lab down`);
    void cleanup().finally(() => process.exit(130));
  });
}

function writeResults(b: Bench, versions: Record<string, string>, targets: ReturnType<typeof checkTargets>): string {
  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const now = new Date();
  const day = `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-${String(now.getDate()).padStart(2, '0')}`;
  // a second run on the same day gets its own file
  let file = join(dir, `${day}.json`);
  for (let i = 2; existsSync(file); i++) file = join(dir, `${day}-${i}.json`);
  writeFileSync(file, JSON.stringify({
    date: now.toISOString(), seconds: Math.round((Date.now() - t0) / 1000),
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model, kernel: release() }, versions, sizes, repeats,
    measurements: b.measurements, targets,
  }, null, 2) + '\n');
  return file;
}

async function main(): Promise<boolean> {
  if (process.getuid?.() !== 0) throw new Error('the bench brings up lab hosts: run it as root (sudo npm run bench)');
  const needMiB = labSize * 30 + webSizes.reduce((m, n) => Math.max(m, n), 0) * 150;
  if (freemem() / 2 ** 20 < needMiB) {
    throw new Error(`${labSize} lab hosts need about ${needMiB} MiB; only ${(freemem() / 2 ** 20).toFixed(0)} MiB free: pass fewer --hosts`);
  }
  ensureTime();
  ensureAnsible();
  log('packing this checkout and installing it into a temp project (npm pack, npm install)');
  project = await ShipshapeProject.create(seedApp);
  clusterFile = join(project.dir, 'cluster.json');
  writeCluster(clusterFile, labSize, Math.max(0, ...webSizes), sizes);
  const ansible = new AnsibleRunner(tmp);
  const b: Bench = {
    clusterFile, tmp, project, ansible, repeats, seedApp, changedApp, measurements: [], checks: [], log,
    oneFileSizes: webSizes.filter((n) => n <= 10), seedSizes: webSizes.filter((n) => n <= 10),
  };
  log(`lab up: ${labSize} host(s), ssh ${SSH_BASE}-${SSH_BASE + labSize - 1}${webSizes.length ? `, web ${WEB_BASE}-${WEB_BASE + Math.max(...webSizes) - 1}` : ''}`);
  await labUp(clusterFile, { hosts: firstHosts(labSize), log: (l) => log(`lab: ${l}`) });
  for (const n of webSizes) await webappSize(b, n);
  for (const n of lightSizes) await lightSize(b, n);

  const versions = { node: process.version, shipshape: project.version(), ansible: ansible.version() };
  const targets = [...b.checks, ...checkTargets(b.measurements)];
  console.log(`\nshipshape ${versions.shipshape} (packed, npx tsx) vs ${versions.ansible}, ${cpus().length} cores, same lab hosts, same run\n`);
  console.log(figuresTable(b.measurements));
  console.log('');
  console.log(targetsTable(targets));
  const missed = targets.filter((t) => !t.pass).length;
  console.log(`\n${missed ? `${missed} of ${targets.length} targets missed` : `all ${targets.length} targets met`}; results in ${writeResults(b, versions, targets)}`);
  console.log(`total bench time ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  return missed === 0;
}

try {
  const met = await main();
  if (!met && a.fail) process.exitCode = 1;
} catch (e) {
  const err = e as Error & { explain?: () => string };
  console.error(err.explain?.() ?? err.message ?? err);
  process.exitCode = 1;
} finally {
  await cleanup();
}
