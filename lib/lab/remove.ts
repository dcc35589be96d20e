/** Recursive removal that refuses to cross a mount point (a bind mount of /dev or / under a lab dir would be emptied). */
import { readFileSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { ShipshapeError } from '../errors.js';

/**
 * Mount points at or below `dir` in this process's mount namespace.
 *
 * @example
 * mountsUnder('/var/cache/shipshape/lab/clusters/1a2b3c4d5e6f')   // [] when nothing is mounted there
 */
export function mountsUnder(dir: string): string[] {
  const root = resolve(dir);
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .map((l) => (l.split(' ')[4] ?? '').replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((m) => m === root || m.startsWith(`${root}/`));
}

/**
 * `rm -rf dir`, unless something is mounted there; the lab mounts only inside private mount
 * namespaces, so a mount here means a process is still using it.
 *
 * @example
 * removeTree('/var/cache/shipshape/lab/clusters/1a2b3c4d5e6f')
 */
export function removeTree(dir: string): void {
  const mounted = mountsUnder(dir);
  if (mounted.length) {
    throw new ShipshapeError(`will not delete ${dir}: ${mounted.join(', ')} ${mounted.length === 1 ? 'is' : 'are'} mounted there`, {
      fix: `unmount it (umount -R ${mounted[0]}) and run the command again`,
    });
  }
  rmSync(dir, { recursive: true, force: true });
}
