import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CallSite } from '../errors.js';

/**
 * The folders of shipshape's own code, whose frames are skipped: lib/, bin/ and the bundled
 * recipes/, both as sources and as the build in dist/. A stack frame of the installed build
 * can read as `lib/*.ts` (tsx's source maps map dist/ back to the shipped sources), and a
 * linked package (`npm link`) shows its real path: both spellings of the root are kept.
 */
const OWN: string[] = ownFolders();

function packageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'shipshape') return dir;
      } catch { /* not ours: keep walking */ }
    }
    if (dirname(dir) === dir) return resolve(from, '..', '..');
  }
}

function ownFolders(): string[] {
  const here = dirname(fileURLToPath(import.meta.url));
  const roots = new Set([packageRoot(here)]);
  for (const r of [...roots]) {
    try { roots.add(realpathSync(r)); } catch { /* keep the path as it is */ }
  }
  return [...roots].flatMap((root) => ['lib', 'bin', 'recipes', join('dist', 'lib'), join('dist', 'bin'), join('dist', 'recipes')]
    .map((d) => join(root, d) + sep));
}

/**
 * True when `file` belongs to shipshape itself (its lib/, bin/ or bundled recipes), so call
 * sites and relative paths come from the user's file instead.
 *
 * @example
 * isOwnFile('/home/me/infra/node_modules/shipshape/lib/dsl/target.ts')   // true
 */
export function isOwnFile(file: string): boolean {
  return OWN.some((d) => file.startsWith(d));
}

/**
 * The first stack frame outside shipshape (its lib/, bin/ and bundled recipes/, installed,
 * linked or built): the user's line in deploy.ts, or the line in a recipe package of their
 * own. Errors point there, and relative local paths (src, templates, inventories, recipe
 * params) resolve from its folder.
 *
 * @example
 * captureCallSite()   // { file: '/home/me/infra/deploy.ts', line: 12, column: 4 }
 */
export function captureCallSite(): CallSite | undefined {
  const holder: { stack?: string } = {};
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 50;
  Error.captureStackTrace(holder, captureCallSite);
  Error.stackTraceLimit = limit;
  for (const line of (holder.stack ?? '').split('\n').slice(1)) {
    const f = stackFrame(line);
    if (!f) continue;
    const file = f.path.startsWith('file://') ? fileURLToPath(f.path) : f.path;
    if (isOwnFile(file) || file.startsWith('node:') || file.includes(`${sep}node_modules${sep}tsx${sep}`)) continue;
    return { file, line: f.line, column: f.column };
  }
  return undefined;
}

/**
 * The path (absolute, `file:///` URL or `C:\\`), line and column a V8 stack line ends with.
 * Found from the end: one regexp searching for the path from every position was quadratic
 * in the length of the line.
 *
 * @example
 * stackFrame('    at main (file:///srv/deploy.ts:4:3)')   // { path: 'file:///srv/deploy.ts', line: 4, column: 3 }
 */
export function stackFrame(text: string): { path: string; line: number; column: number } | undefined {
  const m = /:(\d+):(\d+)\)?\s*$/.exec(text);
  if (!m) return undefined;
  const head = text.slice(0, m.index);
  let start = head.length;
  while (start > 0 && !'():'.includes(head[start - 1]!)) start--;
  const run = head.slice(start);
  const before = head.slice(0, start);
  let path: string | undefined;
  const slash = run.indexOf('/');
  if (before.endsWith('file:') && run.startsWith('///') && run.length > 3) path = `file:${run}`;
  else if (/[A-Za-z]/.test(before.slice(-2, -1)) && before.endsWith(':') && run.startsWith('\\') && run.length > 1) path = `${before.slice(-2)}${run}`;
  else if (slash >= 0 && slash < run.length - 1) path = run.slice(slash);
  return path === undefined ? undefined : { path, line: Number(m[1]), column: Number(m[2]) };
}

/**
 * The folder relative local paths resolve from: the calling file's (see
 * {@link captureCallSite}), or the current directory when no user frame is on the stack
 * (the command line).
 *
 * @example
 * resolveFromCaller('files/app.conf')   // '/home/me/infra/files/app.conf'
 */
export function resolveFromCaller(path: string): string {
  const site = captureCallSite();
  return resolve(site ? dirname(site.file) : process.cwd(), path);
}
