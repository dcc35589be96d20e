// Test support for using shipshape as a user's own project does: this checkout built and
// packed ONCE per test process, then installed from the tarball (or linked, as `npm link`
// does) into temp projects with `"type": "module"` and tsx.
import { spawn } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** This checkout. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '');
export const NPM_FLAGS = ['--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'];
const TSX_VERSION = (JSON.parse(readFileSync(join(ROOT, 'node_modules', 'tsx', 'package.json'), 'utf8')) as { version: string }).version;

export interface RunResult {
  /** The exit code; null when a signal ended the process. */
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr as they came. */
  output: string;
}

/**
 * Runs a program to its end and collects its output; never rejects for an exit code.
 *
 * @example
 * const r = await runCommand('npx', ['--no', 'shipshape', '--version'], { cwd: project.dir })
 */
export function runCommand(cmd: string, args: string[], o: { cwd: string; env?: NodeJS.ProcessEnv; input?: string }): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: o.cwd, env: { ...process.env, ...o.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let output = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d; output += d; });
    child.stderr.on('data', (d: Buffer) => { stderr += d; output += d; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, output }));
    child.stdin.end(o.input ?? '');
  });
}

/** Like runCommand, but a non-zero exit is an error carrying the output. */
export async function mustRun(cmd: string, args: string[], o: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<RunResult> {
  const r = await runCommand(cmd, args, o);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} (in ${o.cwd}) exited ${r.code}:\n${r.output}`);
  return r;
}

/**
 * Packs a package folder with `npm pack` into `dest`; returns the tarball's path.
 *
 * @example
 * await packFolder(join(ROOT, 'examples', 'recipe-motd'), tmp.dir)   // '/tmp/…/shipshape-recipe-motd-0.1.0.tgz'
 */
export async function packFolder(dir: string, dest: string): Promise<string> {
  const { stdout } = await mustRun('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dest, ...NPM_FLAGS], { cwd: dir });
  const [info] = JSON.parse(stdout) as { filename: string }[];
  return join(dest, info!.filename);
}

interface Packed { dir: string; stage: string; tarball: string }
let packing: Promise<Packed> | undefined;

/**
 * The checkout as `npm publish` would ship it, built and packed once per test process.
 * The package's files are copied to a staging folder and built there with `npm run build`,
 * so a concurrent build in the working tree cannot hand `npm pack` a half-written file.
 * `stage` is that built folder (with the checkout's node_modules): what `npm link` points at.
 */
export function packed(): Promise<Packed> {
  packing ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shipshape-packed-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const stage = join(dir, 'shipshape');
    mkdirSync(stage);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { files: string[] };
    for (const f of new Set([...pkg.files, 'package.json', 'tsconfig.json'])) {
      if (f !== 'dist' && existsSync(join(ROOT, f))) cpSync(join(ROOT, f), join(stage, f), { recursive: true });
    }
    symlinkSync(join(ROOT, 'node_modules'), join(stage, 'node_modules'));
    await mustRun('npm', ['run', 'build', '--silent'], { cwd: stage });
    // npm sets a bin's mode when installing a tarball; a linked folder keeps tsc's 644.
    chmodSync(join(stage, 'dist', 'bin', 'shipshape.js'), 0o755);
    return { dir, stage, tarball: await packFolder(stage, dir) };
  })();
  return packing;
}

export interface UserProject {
  /** The project folder: package.json, node_modules with shipshape and tsx. */
  dir: string;
  /** Where `shipshape` is in node_modules: a folder from the tarball, or a symlink. */
  how: 'packed' | 'linked';
  /** The path of a program in node_modules/.bin. */
  bin(name: string): string;
  cleanup(): void;
}

/**
 * A fresh user project in a temp folder: `package.json` with `"type": "module"`, tsx (the
 * version this checkout uses) and shipshape, installed from the packed tarball, or linked
 * to the built checkout as `npm link shipshape` does. `install` adds more packages (tarballs).
 *
 * @example
 * const p = await userProject({ how: 'linked' });
 * try { await runCommand(p.bin('tsx'), ['deploy.ts'], { cwd: p.dir }); } finally { p.cleanup(); }
 */
export async function userProject(o: { how?: 'packed' | 'linked'; install?: string[] } = {}): Promise<UserProject> {
  const how = o.how ?? 'packed';
  const { stage, tarball } = await packed();
  const dir = mkdtempSync(join(tmpdir(), `shipshape-user-${how}-`));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  try {
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'my-infra', private: true, type: 'module' }, null, 2) + '\n');
    const pkgs = [...(how === 'packed' ? [tarball] : []), `tsx@${TSX_VERSION}`, ...(o.install ?? [])];
    // --ignore-scripts: ssh2's optional native build would fetch node headers; nothing needs it.
    await mustRun('npm', ['install', ...NPM_FLAGS, '--ignore-scripts', ...pkgs], { cwd: dir });
    if (how === 'linked') {
      symlinkSync(stage, join(dir, 'node_modules', 'shipshape'));
      symlinkSync('../shipshape/dist/bin/shipshape.js', join(dir, 'node_modules', '.bin', 'shipshape'));
    }
    return { dir, how, bin: (name) => join(dir, 'node_modules', '.bin', name), cleanup };
  } catch (e) {
    cleanup();
    throw e;
  }
}
