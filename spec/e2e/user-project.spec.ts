// shipshape as a user's own project gets it: this checkout packed (and, in the second suite,
// linked as `npm link` does) into a fresh `"type": "module"` project with tsx, deploy files in
// a folder of their own, run with `npx tsx /abs/path/deploy.ts` from another directory.
// No lab host: everything runs on the local transport, under temp folders.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ROOT, runCommand, userProject, type RunResult, type UserProject } from '../support/packed.js';
import { tmpDir } from '../support/tmp.js';

const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The 1-based line of `marker` in `text`. */
function lineOf(text: string, marker: string): number {
  const i = text.split('\n').findIndex((l) => l.includes(marker));
  if (i < 0) throw new Error(`no line with ${marker}`);
  return i + 1;
}

const DEPLOY_PATHS = `import { host, deploy, inventory } from 'shipshape';

const out = process.env.OUT!;
inventory.load('./inventory.json');
host('localhost', { transport: 'local' })
  .copy('files/motd.txt', \`\${out}/motd.txt\`) // @copy
  .template('files/app.conf.mustache', \`\${out}/app.conf\`, { vars: { port: 5000 } }); // @template
await deploy();
`;

const DEPLOY_PLAN_ERROR = `import { host, deploy } from 'shipshape';

host('localhost', { transport: 'local' })
  .file(\`\${process.env.OUT}/never\`, { content: 'x\\n', notify: 'no such handler' }); // @bad
await deploy();
`;

const DEPLOY_UNKNOWN_OPTION = `import { host, deploy } from 'shipshape';

host('localhost', { transport: 'local' })
  // tsx does not type-check: this typo reaches shipshape as it is.
  .file(\`\${process.env.OUT}/never\`, { contents: 'x\\n' }); // @bad
await deploy();
`;

const DEPLOY_DECIMAL_MODE = `import { host, deploy } from 'shipshape';

host('localhost', { transport: 'local' })
  .file(\`\${process.env.OUT}/never\`, { content: 'x\\n', mode: 644 }); // @bad
await deploy();
`;

for (const how of ['packed', 'linked'] as const) {
  const test = suite(`a user's project with shipshape ${how}`);
  const ctx: { project?: UserProject; out?: ReturnType<typeof tmpDir> } = {};
  const infra = () => join(ctx.project!.dir, 'infra');

  /** Writes a file of the project (folders made as needed). */
  const write = (rel: string, text: string) => {
    const p = join(ctx.project!.dir, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, text);
    return p;
  };

  /** `npx tsx /abs/infra/<file> …` from the project's root: not the deploy file's folder. */
  const deployRun = (file: string, args: string[] = []): Promise<RunResult> =>
    runCommand('npx', ['--no-install', 'tsx', join(infra(), file), ...args], {
      cwd: ctx.project!.dir,
      env: { OUT: ctx.out!.dir, SHIPSHAPE_STATE_DIR: join(ctx.out!.dir, 'state') },
    });

  /** A plan-time failure: exit 4, the message, deploy.ts's line, nothing made, no library path. */
  const assertInvalid = (r: RunResult, file: string, source: string, patterns: RegExp[]) => {
    assert.is(r.code, 4, r.output);
    for (const p of patterns) assert.match(r.output, p, r.output);
    assert.match(r.output, `${join(infra(), file)}:${lineOf(source, '// @bad')}:`, `names the user's line:\n${r.output}`);
    assert.not.match(r.output, /node_modules\/shipshape|\/lib\/(dsl|plan|ops)\//, `points into the library:\n${r.output}`);
    assert.not.ok(existsSync(join(ctx.out!.dir, 'never')), 'nothing was made');
  };

  // Set up on first use rather than in before(): uvu does not show why a hook failed.
  let installing: Promise<void> | undefined;
  test.before.each(() => installing ??= (async () => {
    ctx.out = tmpDir('shipshape-user-out-');
    ctx.project = await userProject({ how });
  })());
  test.after(() => {
    ctx.project?.cleanup();
    ctx.out?.cleanup();
  });

  test('relative copy, template and inventory.load() paths resolve from the folder of deploy.ts, not the working directory', async () => {
    // Decoys where the working directory would find them: a wrong base reads these instead.
    write('inventory.json', JSON.stringify({ hosts: { localhost: { vars: { greeting: 'read from the working directory' } } } }));
    write('files/motd.txt', 'read from the working directory\n');
    write('files/app.conf.mustache', 'read from the working directory\n');
    write('infra/inventory.json', JSON.stringify({ hosts: { localhost: { vars: { greeting: 'hello from infra/inventory.json' } } } }));
    write('infra/files/motd.txt', 'motd from infra/files\n');
    write('infra/files/app.conf.mustache', 'greeting={{greeting}} port={{port}}\n');
    write('infra/deploy.ts', DEPLOY_PATHS);
    const json = join(ctx.out!.dir, 'run.json');
    const r = await deployRun('deploy.ts', ['--json', json]);
    assert.is(r.code, 0, r.output);
    assert.is(readFileSync(join(ctx.out!.dir, 'motd.txt'), 'utf8'), 'motd from infra/files\n');
    assert.is(readFileSync(join(ctx.out!.dir, 'app.conf'), 'utf8'), 'greeting=hello from infra/inventory.json port=5000\n');

    // --json: each task's callSite is the user's line in deploy.ts.
    const doc = JSON.parse(readFileSync(json, 'utf8')) as { tasks: { op: string; callSite?: string }[] };
    const sites = Object.fromEntries(doc.tasks.map((t) => [t.op, t.callSite]));
    const deployFile = join(infra(), 'deploy.ts');
    assert.match(String(sites.copy), new RegExp(`^${escape(deployFile)}:${lineOf(DEPLOY_PATHS, '// @copy')}:\\d+$`), JSON.stringify(doc.tasks));
    assert.match(String(sites.template), new RegExp(`^${escape(deployFile)}:${lineOf(DEPLOY_PATHS, '// @template')}:\\d+$`), JSON.stringify(doc.tasks));
  });

  test('a plan error names deploy.ts and the line, not a file of the library', async () => {
    write('infra/plan-error.ts', DEPLOY_PLAN_ERROR);
    assertInvalid(await deployRun('plan-error.ts'), 'plan-error.ts', DEPLOY_PLAN_ERROR, [/no such handler/]);
  });

  test('an unknown option exits 4 naming it and the closest valid one', async () => {
    write('infra/unknown-option.ts', DEPLOY_UNKNOWN_OPTION);
    assertInvalid(await deployRun('unknown-option.ts'), 'unknown-option.ts', DEPLOY_UNKNOWN_OPTION, [/\bcontents\b/, /did you mean content\?/]);
  });

  test('a decimal mode (644) exits 4 with the octal fix', async () => {
    write('infra/decimal-mode.ts', DEPLOY_DECIMAL_MODE);
    assertInvalid(await deployRun('decimal-mode.ts'), 'decimal-mode.ts', DEPLOY_DECIMAL_MODE, [/\b644\b/, /did you mean 0o644/]);
  });

  test('npx shipshape --version prints the version of the package', async () => {
    const r = await runCommand('npx', ['--no-install', 'shipshape', '--version'], { cwd: ctx.project!.dir });
    assert.is(r.code, 0, r.output);
    assert.is(r.stdout, `${VERSION}\n`);
  });

  test.run();
}
