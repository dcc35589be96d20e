// shipshape's own package.json, wherever this program runs from: bin/ under tsx in the
// checkout, dist/bin/ in an installed package.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ShipshapeError } from '../lib/errors.js';

export interface PackageInfo {
  version: string;
  /** The ranges shipshape itself is developed with (tsx, typescript, @types/node…). */
  devDependencies: Record<string, string>;
}

/**
 * The version and dev dependency ranges in shipshape's package.json: the nearest one up from
 * this file that is named shipshape.
 *
 * @example
 * packageInfo().version                  // '0.1.0'
 * packageInfo().devDependencies.tsx      // '^4.23.15'
 */
export function packageInfo(): PackageInfo {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dirname(dir) !== dir; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string; devDependencies?: Record<string, string> };
    if (pkg.name === 'shipshape' && pkg.version) return { version: pkg.version, devDependencies: pkg.devDependencies ?? {} };
  }
  throw new ShipshapeError('cannot find the package.json of shipshape next to this program');
}
