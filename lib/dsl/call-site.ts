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
    const m = /\(?((?:file:\/\/)?\/[^():]+|[A-Za-z]:\\[^():]+):(\d+):(\d+)\)?\s*$/.exec(line);
    if (!m) continue;
    const file = m[1]!.startsWith('file://') ? fileURLToPath(m[1]!) : m[1]!;
    if (isOwnFile(file) || file.startsWith('node:') || file.includes(`${sep}node_modules${sep}tsx${sep}`)) continue;
    return { file, line: Number(m[2]), column: Number(m[3]) };
  }
  return undefined;
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
