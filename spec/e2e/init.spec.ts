// `npx shipshape init` as a user runs it, from the packed checkout: the project it writes,
// its refusal to overwrite, and the project itself installed, typechecked and run with
// --check against a lab host from its own cluster.json (needs root; the host's ports are
// moved to 127.0.0.1:24920 (HTTP) and 24921 (SSH), clear of the demo's 8080).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { labDown } from '../../lib/lab/index.js';
import { beforeAll } from '../support/before-all.js';
import { labState } from '../support/lab.js';
import { mustRun, NPM_FLAGS, packed, ROOT, runCommand, userProject, type RunResult, type UserProject } from '../support/packed.js';
import { snapshot, tmpDir } from '../support/tmp.js';

const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; devDependencies: Record<string, string> };
const FILES = ['package.json', 'tsconfig.json', 'cluster.json', 'deploy.ts', '.gitignore'];
const PORTS = { http: 24920, ssh: 24921 };

interface Node { host_name: string; port_mappings: { guest_port: number; host_port: number; host_ip: string }[]; network_configs?: unknown }

const test = suite('shipshape init');
let project: UserProject;
let work: ReturnType<typeof tmpDir>;

beforeAll(test, 'installing the packed checkout', async () => {
  work = tmpDir('shipshape-init-');
  project = await userProject();
});
test.after(() => {
  project?.cleanup();
  work?.cleanup();
});

/** The installed `shipshape` in `cwd`, as `npx shipshape` runs it. */
const shipshape = (args: string[], cwd = work.dir): Promise<RunResult> => runCommand(project.bin('shipshape'), args, { cwd });
const read = (dir: string, name: string) => readFileSync(join(dir, name), 'utf8');

test('init DIR makes the folder, writes the project there and prints the next steps', async () => {
  const dir = join(work.dir, 'new', 'infra');
  const r = await shipshape(['init', 'new/infra']);
  assert.is(r.code, 0, r.output);
  for (const f of FILES) assert.ok(existsSync(join(dir, f)), `${f} was written`);

  const pkg = JSON.parse(read(dir, 'package.json')) as { name: string; type: string; dependencies: Record<string, string>; scripts: Record<string, string> };
  assert.is(pkg.name, 'infra');
  assert.is(pkg.type, 'module');
  assert.equal(pkg.dependencies, { shipshape: `^${PKG.version}`, tsx: PKG.devDependencies.tsx });
  assert.match(pkg.scripts.deploy!, 'tsx deploy.ts');
  assert.match(pkg.scripts.check!, 'tsx deploy.ts --check');

  const tsconfig = JSON.parse(read(dir, 'tsconfig.json')) as { compilerOptions: { strict: boolean; module: string } };
  assert.is(tsconfig.compilerOptions.strict, true);
  assert.is(tsconfig.compilerOptions.module, 'NodeNext');

  const { nodes } = JSON.parse(read(dir, 'cluster.json')) as { nodes: Node[] };
  assert.equal(nodes.map((n) => n.host_name), ['web-01']);
  const guest = (port: number) => nodes[0]!.port_mappings.find((m) => m.guest_port === port);
  assert.equal(guest(80), { guest_port: 80, host_port: 8080, host_ip: '127.0.0.1' });
  assert.is(guest(22)?.host_ip, '127.0.0.1');
  assert.is(nodes[0]!.network_configs, undefined, 'no network address of anybody else');
  assert.not.match(read(dir, 'cluster.json'), '192.167.');

  assert.match(read(dir, 'deploy.ts'), "import { webapp } from 'shipshape/recipes/webapp'");
  assert.match(read(dir, 'deploy.ts'), "inventory.load('./cluster.json')");
  const ignored = read(dir, '.gitignore').split('\n');
  for (const p of ['node_modules/', '.vagrant/']) assert.ok(ignored.includes(p), `.gitignore has ${p}`);

  for (const step of ['cd new/infra', 'npm i', 'sudo npx shipshape lab up', 'npx tsx deploy.ts --check', 'npx tsx deploy.ts ']) {
    assert.match(r.stdout, step, `names the step ${step}:\n${r.stdout}`);
  }
});

test('init without DIR writes into the current folder', async () => {
  const dir = join(work.dir, 'here');
  mkdirSync(dir);
  const r = await shipshape(['init'], dir);
  assert.is(r.code, 0, r.output);
  for (const f of FILES) assert.ok(existsSync(join(dir, f)), `${f} was written`);
  assert.is((JSON.parse(read(dir, 'package.json')) as { name: string }).name, 'here');
  assert.not.match(r.stdout, /^ {2}cd /m, 'no cd into the folder it is in');
});

test('a second init in the same folder exits 4 naming the files and changes nothing', async () => {
  const dir = join(work.dir, 'twice');
  assert.is((await shipshape(['init', 'twice'])).code, 0);
  writeFileSync(join(dir, 'deploy.ts'), '// my own deploy\n');
  const before = snapshot(dir);
  const again = await shipshape(['init', 'twice']);
  assert.is(again.code, 4, again.output);
  for (const f of FILES) assert.match(again.stderr, f, again.stderr);
  assert.match(again.stderr, 'nothing was written');
  assert.is(snapshot(dir), before, 'the folder is as it was');
});

test('init in a folder with one of the files writes none of them and names only that one', async () => {
  const dir = join(work.dir, 'partly');
  mkdirSync(dir);
  writeFileSync(join(dir, 'cluster.json'), '{ "nodes": [] }\n');
  const before = snapshot(dir);
  const r = await shipshape(['init', 'partly']);
  assert.is(r.code, 4, r.output);
  assert.match(r.stderr, /cluster\.json already exists/);
  for (const f of FILES.filter((f) => f !== 'cluster.json')) assert.not.match(r.stderr, f, r.stderr);
  assert.is(snapshot(dir), before, 'nothing was written');
});

test('init on a file, or with two folders, exits 4 and writes nothing', async () => {
  writeFileSync(join(work.dir, 'a-file'), 'x');
  const file = await shipshape(['init', 'a-file']);
  assert.is(file.code, 4, file.output);
  assert.match(file.stderr, 'a-file exists and is not a folder');
  const two = await shipshape(['init', 'one', 'two']);
  assert.is(two.code, 4, two.output);
  assert.match(two.stderr, 'unexpected argument two');
  assert.not.ok(existsSync(join(work.dir, 'one')), 'no folder was made');
});

test('the project init writes installs, typechecks, and deploy.ts --check against its lab host exits 0 reporting what would change', async () => {
  const dir = join(work.dir, 'lab-project');
  assert.is((await shipshape(['init', 'lab-project'])).code, 0);
  // shipshape is not on the registry: the test installs it from the tarball instead.
  const pkgFile = join(dir, 'package.json');
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { dependencies: Record<string, string> };
  pkg.dependencies.shipshape = `file:${(await packed()).tarball}`;
  writeFileSync(pkgFile, JSON.stringify(pkg, null, 2));
  await mustRun('npm', ['install', ...NPM_FLAGS, '--ignore-scripts'], { cwd: dir });
  await mustRun('npx', ['--no-install', 'tsc', '--noEmit'], { cwd: dir });

  const clusterFile = join(dir, 'cluster.json');
  const cluster = JSON.parse(readFileSync(clusterFile, 'utf8')) as { nodes: Node[] };
  for (const m of cluster.nodes[0]!.port_mappings) m.host_port = m.guest_port === 22 ? PORTS.ssh : PORTS.http;
  writeFileSync(clusterFile, JSON.stringify(cluster, null, 2));

  const npx = (args: string[]) => runCommand('npx', ['--no-install', ...args], { cwd: dir });
  // Down again even when the test fails, and should the process end before the finally.
  const down = () => (labState(clusterFile) ? labDown(clusterFile) : Promise.resolve());
  process.once('beforeExit', down);
  try {
    const up = await npx(['shipshape', 'lab', 'up']);
    assert.is(up.code, 0, up.output);
    assert.match(up.stdout, `127.0.0.1:${PORTS.ssh}->22`);
    const check = await npx(['tsx', 'deploy.ts', '--check']);
    assert.is(check.code, 0, check.output);
    assert.match(check.output, /web-01 \| apt nginx \| would change/);
    assert.match(check.output, /web-01 \| file \/etc\/motd \| would change/);
    assert.match(check.output, 'check mode');
  } finally {
    process.off('beforeExit', down);
    const r = await npx(['shipshape', 'lab', 'down']);
    if (r.code !== 0) {
      console.error(`lab down exited ${r.code}:\n${r.output}`);
      await down();
    }
  }
  assert.is(labState(clusterFile), undefined, 'the lab is down');
});

test.run();
