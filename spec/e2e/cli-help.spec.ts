// --help, --version and mistyped flags on every command, as a user runs them: `shipshape …`
// and `tsx deploy.ts …` in a project that installed the packed checkout. The commands are
// read from `shipshape --help`, so a new command is covered without a new row.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEPLOY_FLAGS } from '../../lib/flags.js';
import { beforeAll } from '../support/before-all.js';
import { ROOT, runCommand, userProject, type RunResult, type UserProject } from '../support/packed.js';
import { tmpDir } from '../support/tmp.js';

const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const STACK = /^\s+at .+:\d+:\d+\)?$/m;

const DEPLOY = `import { appendFileSync } from 'node:fs';
import { host, deploy } from 'shipshape';

appendFileSync(\`\${process.env.OUT}/runs.log\`, 'ran\\n');
host('localhost', { transport: 'local' }).file(\`\${process.env.OUT}/motd\`, { content: 'hi\\n' });
await deploy();
`;

const test = suite('--help and mistyped flags on every command');
let project: UserProject;
let out: ReturnType<typeof tmpDir>;

beforeAll(test, 'installing the packed checkout', async () => {
  out = tmpDir('shipshape-cli-help-');
  project = await userProject();
  writeFileSync(join(project.dir, 'deploy.ts'), DEPLOY);
});
test.after(() => {
  project?.cleanup();
  out?.cleanup();
});

const env = () => ({ OUT: out.dir, SHIPSHAPE_STATE_DIR: join(out.dir, 'state') });
const shipshape = (args: string[]): Promise<RunResult> => runCommand(project.bin('shipshape'), args, { cwd: project.dir, env: env() });
const tsxDeploy = (args: string[]): Promise<RunResult> => runCommand(project.bin('tsx'), ['deploy.ts', ...args], { cwd: project.dir, env: env() });

/** The commands `shipshape --help` lists. */
async function commands(): Promise<string[]> {
  const { stdout } = await shipshape(['--help']);
  const list = stdout.split('\ncommands:\n')[1]?.split('\n\n')[0] ?? '';
  return [...list.matchAll(/^ {2}([a-z][a-z-]*) /gm)].map((m) => m[1]!);
}

/** The long flags an options section lists, one a line: `  -l, --limit NAMES  …` or `      --json FILE  …`. */
const flagsOf = (help: string) => [...(help.split('\noptions:\n')[1] ?? '').matchAll(/^ {2}(?:-[A-Za-z], | {4})--([a-z][a-z-]*)/gm)].map((m) => m[1]!);

/** The command itself and, for one with lab-style subcommands (`lab up|down|…`), each of them. */
async function everyCommand(): Promise<string[][]> {
  const all: string[][] = [];
  for (const c of await commands()) {
    all.push([c]);
    const { stdout } = await shipshape([c, '--help']);
    const subs = new RegExp(`^usage: shipshape ${c} ([a-z]+(?:\\|[a-z]+)+) `).exec(stdout)?.[1];
    for (const s of subs?.split('|') ?? []) all.push([c, s]);
  }
  return all;
}

/** A plausible typo of a flag: the first two adjacent letters that differ, swapped. */
function typo(flag: string): string {
  const i = [...flag].findIndex((ch, j) => j > 0 && /[a-z]/.test(ch) && /[a-z]/.test(flag[j - 1]!) && ch !== flag[j - 1]);
  return `${flag.slice(0, i - 1)}${flag[i]}${flag[i - 1]}${flag.slice(i + 1)}`;
}

/** A usage error: exit 4, the expected words, on stderr, no stack trace. */
function assertUsage(r: RunResult, what: string, ...patterns: string[]): void {
  assert.is(r.code, 4, `${what}: ${r.output}`);
  for (const p of patterns) assert.match(r.stderr, p, `${what}: ${r.output}`);
  assert.not.match(r.output, STACK, `${what}: a stack trace:\n${r.output}`);
}

test('shipshape --help and -h list the commands and exit 0; --version and -V print the version, also after a command', async () => {
  const names = await commands();
  for (const c of ['init', 'run', 'exec', 'facts', 'lab']) assert.ok(names.includes(c), `--help lists ${c}: ${names.join(', ')}`);
  for (const h of ['--help', '-h']) {
    const r = await shipshape([h]);
    assert.is(r.code, 0, r.output);
    assert.ok(r.stdout.startsWith('usage: shipshape <command>'), r.stdout);
    assert.equal(flagsOf(r.stdout), ['version', 'help']);
  }
  for (const args of [['--version'], ['-V'], ...names.map((c) => [c, '--version']), ['lab', 'up', '-V']]) {
    const r = await shipshape(args);
    assert.is(r.code, 0, `${args.join(' ')}: ${r.output}`);
    assert.is(r.stdout, `${VERSION}\n`, args.join(' '));
  }
});

test('every command and lab command answers --help and -h with its usage and its options, exit 0', async () => {
  const all = await everyCommand();
  assert.ok(all.some((c) => c.join(' ') === 'lab up'), `lab up has a help of its own: ${all.map((c) => c.join(' ')).join(', ')}`);
  for (const c of all) {
    for (const h of ['--help', '-h']) {
      const r = await shipshape([...c, h]);
      assert.is(r.code, 0, `${c.join(' ')} ${h}: ${r.output}`);
      assert.match(r.stdout, new RegExp(`^usage: shipshape ${c.join(' ')}[ \n]`), `${c.join(' ')} ${h}:\n${r.stdout}`);
      const flags = flagsOf(r.stdout);
      for (const f of ['help', 'version']) assert.ok(flags.includes(f), `${c.join(' ')} ${h} lists --${f}:\n${r.stdout}`);
    }
  }
});

test('a mistyped flag on every command and lab command exits 4 naming the closest valid flag, and nothing runs', async () => {
  for (const c of await everyCommand()) {
    const help = (await shipshape([...c, '--help'])).stdout;
    // The longest flag: a swap in it leaves no other flag closer.
    const flag = flagsOf(help).sort((a, b) => b.length - a.length)[0]!;
    const r = await shipshape([...c, `--${typo(flag)}`]);
    assertUsage(r, c.join(' '), `unknown option --${typo(flag)}`, `did you mean --${flag}?`);
    assert.is(r.stdout, '', `${c.join(' ')}: usage errors go to stderr`);
  }
  assertUsage(await shipshape(['lab', 'up', '--hots', 'x']), 'lab up --hots', 'unknown option --hots', 'did you mean --host?');
  assertUsage(await shipshape(['--verison']), '--verison', 'did you mean --version?');
  assertUsage(await shipshape(['run', 'deploy.ts', '--chek']), 'run --chek', 'did you mean --check?');
  assert.not.ok(existsSync(join(out.dir, 'runs.log')), 'the deploy file never ran');
});

test('tsx deploy.ts --help and -h print its usage and every deploy flag and run nothing; --chek exits 4 naming --check', async () => {
  for (const h of ['--help', '-h']) {
    const r = await tsxDeploy([h]);
    assert.is(r.code, 0, r.output);
    assert.ok(r.stdout.startsWith('usage: tsx deploy.ts '), r.stdout);
    const flags = flagsOf(r.stdout);
    for (const f of [...DEPLOY_FLAGS.map((d) => d.name), 'help']) assert.ok(flags.includes(f), `deploy.ts ${h} lists --${f}:\n${r.stdout}`);
  }
  const r = await tsxDeploy(['--chek']);
  assert.is(r.code, 4, r.output);
  assert.match(r.output, 'unknown option --chek');
  assert.match(r.output, 'did you mean --check?');
  assert.not.match(r.output, STACK, r.output);
  // The deploy file itself runs up to deploy(), which then runs nothing.
  assert.not.ok(existsSync(join(out.dir, 'motd')), 'nothing was deployed');
});

test.run();
