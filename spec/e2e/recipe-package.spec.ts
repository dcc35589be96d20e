// A recipe shipped as its own npm package (examples/recipe-motd), used the way a user would:
// a fresh project installs shipshape (this repo, by path) and the recipe's packed tarball,
// typechecks a deploy.ts against the installed types, and runs it with tsx twice.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { tmpDir } from '../support/tmp.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '');
const RECIPE = join(ROOT, 'examples', 'recipe-motd');
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const TSX = join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const NPM_FLAGS = ['--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'];

async function sh(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  try {
    return await run(cmd, args, { cwd, env: { ...process.env, ...env }, maxBuffer: 16 * 1024 * 1024 });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) failed: ${err.message}\n${err.stdout ?? ''}\n${err.stderr ?? ''}`);
  }
}

const DEPLOY_TS = `import { createProject, deploy, host } from 'shipshape';
import { webapp } from 'shipshape/recipes/webapp';
import { motd, type MotdParams } from 'shipshape-recipe-motd';

const params: MotdParams = { text: 'Welcome to this machine', path: process.env.MOTD_PATH! };
host('localhost', { transport: 'local' }).use(motd, params);

// The bundled recipes load from the installed build too, files/ included.
const p = createProject();
p.group('web', ['h']).use(webapp, {});
if (p.problems.length) throw new Error(p.problems.map((x) => x.message).join('; '));

const result = await deploy();
console.log('RESULT ' + JSON.stringify(result.hosts));
`;

test('a recipe package installed by path is used with t.use(), and a second run changes nothing', async () => {
  const tmp = tmpDir('shipshape-recipe-pkg-');
  try {
    // The package's exports point at dist/: build it as `npm publish` (prepare) would.
    await sh('npm', ['run', 'build', '--silent'], ROOT);
    const project = join(tmp.dir, 'project');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'my-infra', private: true, type: 'module' }, null, 2) + '\n');
    // Packed, as a registry would serve it: a linked folder would resolve its peer
    // dependency from its own location and miss the project's shipshape.
    const packed = (await sh('npm', ['pack', RECIPE, '--pack-destination', tmp.dir, ...NPM_FLAGS], project)).stdout.trim().split('\n').pop()!;
    await sh('npm', ['install', ...NPM_FLAGS, '--ignore-scripts', ROOT, join(tmp.dir, packed)], project);
    const installed = join(project, 'node_modules', 'shipshape-recipe-motd');
    assert.ok(existsSync(join(installed, 'index.js')) && existsSync(join(installed, 'index.d.ts')), 'the package ships index.js and index.d.ts');
    const deps = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')).dependencies;
    assert.ok(deps.shipshape && deps['shipshape-recipe-motd'], JSON.stringify(deps));

    // The committed build of the recipe is what its own tsc build makes today, against the
    // installed shipshape's types; and the deploy file typechecks against both packages.
    const build = join(project, 'recipe-build');
    mkdirSync(build);
    for (const f of ['index.ts', 'tsconfig.json']) copyFileSync(join(RECIPE, f), join(build, f));
    writeFileSync(join(build, 'package.json'), '{ "type": "module" }\n');
    await sh(process.execPath, [TSC, '-p', 'tsconfig.json'], build);
    for (const f of ['index.js', 'index.d.ts']) {
      assert.is(readFileSync(join(build, f), 'utf8'), readFileSync(join(RECIPE, f), 'utf8'), `examples/recipe-motd/${f} is stale: run its build`);
    }
    writeFileSync(join(project, 'deploy.ts'), DEPLOY_TS);
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true, types: ['node'], typeRoots: [join(ROOT, 'node_modules', '@types')] },
      files: ['deploy.ts'],
    }, null, 2));
    await sh(process.execPath, [TSC, '-p', 'tsconfig.json'], project);

    const motdPath = join(tmp.dir, 'out', 'motd');
    mkdirSync(join(tmp.dir, 'out'));
    const deployOnce = async () => {
      const { stdout } = await sh(process.execPath, [TSX, 'deploy.ts'], project, { MOTD_PATH: motdPath });
      const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
      assert.ok(line, stdout);
      return JSON.parse(line!.slice(7)).localhost as { changed: number; failed: number };
    };
    const first = await deployOnce();
    assert.is(first.failed, 0);
    assert.is(first.changed, 1);
    assert.is(readFileSync(motdPath, 'utf8'), '# managed by shipshape (recipe motd): edits are overwritten\nWelcome to this machine\n');
    assert.is(statSync(motdPath).mode & 0o777, 0o644);
    const second = await deployOnce();
    assert.equal([second.changed, second.failed], [0, 0]);
  } finally {
    tmp.cleanup();
  }
});

test.run();
