/** Reading the controller's side of a copy: what a local path is, and a directory's tree. */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export type LocalKind = 'file' | 'directory' | 'missing' | 'other';

/**
 * What a local path is (symlinks followed), so copy can pick file or tree mode and report a
 * missing `src` at validation.
 *
 * @example
 * localKind('files/code')   // 'directory'
 */
export function localKind(path: string): LocalKind {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) return 'missing';
  return st.isFile() ? 'file' : st.isDirectory() ? 'directory' : 'other';
}

export interface LocalEntry {
  /** Path below the root, `/`-separated. */
  rel: string;
  abs: string;
  type: 'file' | 'directory';
  /** Permission bits of the local entry. */
  mode: number;
}

/**
 * Every directory and regular file below `root`, sorted so a directory comes before what it
 * holds. Symlinks are followed; sockets, fifos and dangling links are left out.
 *
 * @example
 * localTree('files/code').map((e) => e.rel)   // ['app.py', 'static', 'static/site.css']
 */
export function localTree(root: string): LocalEntry[] {
  const out: LocalEntry[] = [];
  const walk = (dir: string, prefix: string, depth: number) => {
    // A symlink loop would recurse forever.
    if (depth > 64) throw new Error(`${dir}: directories nested more than 64 deep (a symlink loop?)`);
    for (const name of readdirSync(dir).sort()) {
      const abs = join(dir, name);
      const rel = prefix ? `${prefix}/${name}` : name;
      const st = statSync(abs, { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isDirectory()) {
        out.push({ rel, abs, type: 'directory', mode: st.mode & 0o7777 });
        walk(abs, rel, depth + 1);
      } else if (st.isFile()) {
        out.push({ rel, abs, type: 'file', mode: st.mode & 0o7777 });
      }
    }
  };
  walk(root, '', 0);
  return out;
}

/**
 * Mode for a new remote file when none is given: like git, only the executable bit counts.
 *
 * @example
 * defaultFileMode(0o700)   // 0o755
 */
export function defaultFileMode(localMode: number): number {
  return localMode & 0o111 ? 0o755 : 0o644;
}
