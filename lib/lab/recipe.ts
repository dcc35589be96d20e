/** What goes into the lab's base: the build recipe, and the key that names a built version of it. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resourcePath } from './paths.js';
import { SUITE } from './preflight.js';

/** Bump when the way the base is built or customised changes: the next `lab up` rebuilds. */
export const RECIPE_VERSION = 5;

/** Installed in every host's root filesystem. */
export const BASE_PACKAGES = [
  'openssh-server', 'python3', 'python3-apt', 'sudo', 'iproute2', 'procps',
  'ca-certificates', 'curl', 'less',
  // hosts boot systemd (under systemd-nspawn) as the seed's VMs do
  'systemd-sysv', 'dbus',
];

/** Served to the hosts by the local apt repository, with all their dependencies. */
export const REPO_PACKAGES = [
  'nginx', 'supervisor', 'python3-venv', 'python3-pip', 'python3-gunicorn', 'gunicorn',
  'python3-setuptools', 'python3-wheel', 'acl', 'rsync', 'htop',
  // what the operations use on a host: cron jobs, git work trees, archives and downloads
  'cron', 'git', 'unzip', 'xz-utils', 'zstd', 'wget',
];

/** Debian packages repacked as wheels into the pip wheelhouse (pure Python, egg-info layout). */
export const WHEEL_PACKAGES = ['python3-gunicorn'];

export interface Recipe {
  version: number;
  suite: string;
  basePackages: string[];
  repoPackages: string[];
  wheelPackages: string[];
  mirror: string[];
  authorizedKey: string;
  deb2wheel: string;
}

/**
 * Everything that decides what the base looks like, so a change to any of it (packages,
 * mirror, key, deb2wheel.py) leads to a new base rather than a stale one.
 *
 * @example
 * const r = recipe(mirrorSources(), await ensureLabKey(lab))   // r.version === RECIPE_VERSION
 */
export function recipe(mirror: string[], authorizedKey: string): Recipe {
  return {
    version: RECIPE_VERSION,
    suite: SUITE,
    basePackages: BASE_PACKAGES,
    repoPackages: REPO_PACKAGES,
    wheelPackages: WHEEL_PACKAGES,
    mirror,
    authorizedKey: authorizedKey.trim(),
    deb2wheel: createHash('sha256').update(readFileSync(resourcePath('deb2wheel.py'))).digest('hex'),
  };
}

/**
 * Names the built version: any change to the recipe gives a new base dir.
 *
 * @example
 * recipeKey(recipe(mirrorSources(), pub))   // 16 hex digits, e.g. '0123456789abcdef'
 */
export function recipeKey(r: Recipe): string {
  return createHash('sha256').update(JSON.stringify(r)).digest('hex').slice(0, 16);
}
