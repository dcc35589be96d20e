// A recipe shipped as its own npm package (examples/recipe-motd), used the way a user would:
// a fresh project installs shipshape (this checkout, packed) and the recipe's packed tarball,
// typechecks a deploy.ts against the installed types, and runs it with tsx twice.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mustRun, packFolder, ROOT, userProject } from '../support/packed.js';
import { tmpDir } from '../support/tmp.js';

const RECIPE = join(ROOT, 'examples', 'recipe-motd');
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

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

test('a recipe package installed from its tarball is used with t.use(), and a second run changes nothing', async () => {
  const tmp = tmpDir('shipshape-recipe-pkg-');
  let user: Awaited<ReturnType<typeof userProject>> | undefined;
  try {
    // Packed, as a registry would serve it: a linked folder would resolve its peer
    // dependency from its own location and miss the project's shipshape.
    user = await userProject({ install: [await packFolder(RECIPE, tmp.dir)] });
    const project = user.dir;
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
    await mustRun(process.execPath, [TSC, '-p', 'tsconfig.json'], { cwd: build });
    for (const f of ['index.js', 'index.d.ts']) {
      assert.is(readFileSync(join(build, f), 'utf8'), readFileSync(join(RECIPE, f), 'utf8'), `examples/recipe-motd/${f} is stale: run its build`);
    }
    writeFileSync(join(project, 'deploy.ts'), DEPLOY_TS);
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true, types: ['node'], typeRoots: [join(ROOT, 'node_modules', '@types')] },
      files: ['deploy.ts'],
    }, null, 2));
    await mustRun(process.execPath, [TSC, '-p', 'tsconfig.json'], { cwd: project });

    const motdPath = join(tmp.dir, 'out', 'motd');
    mkdirSync(join(tmp.dir, 'out'));
    const deployOnce = async () => {
      const { stdout } = await mustRun(user!.bin('tsx'), ['deploy.ts'], { cwd: project, env: { MOTD_PATH: motdPath, SHIPSHAPE_STATE_DIR: join(tmp.dir, 'state') } });
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
    user?.cleanup();
    tmp.cleanup();
  }
});

test.run();
