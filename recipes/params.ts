/**
 * Parameter helpers shared by the bundled recipes: defaults, checks that fail loudly with
 * the fix, and where local files are. Recipes throw; `t.use()` turns the error into a plan
 * problem at the user's line, so nothing is contacted with bad params.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { required, resolveFromCaller, ShipshapeError } from '../lib/index.js';

/**
 * The params with every `undefined` replaced by its default. A value given as `''` or
 * `null` is kept, so `required()` can say it is missing.
 *
 * @example
 * const p = withDefaults(params, { appDir: '/opt/webapp', port: 5000 });
 */
export function withDefaults<D extends object, P extends Partial<D>>(params: P | undefined, defaults: D): D & P {
  const out: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  for (const [k, v] of Object.entries(params ?? {})) if (v !== undefined) out[k] = v;
  return out as D & P;
}

function fail(recipeName: string, key: string, problem: string, fix: string): never {
  throw new ShipshapeError(`param ${key} ${problem}`, { fix: `${fix} in use(${recipeName}, { … })` });
}

/**
 * A required string param that ends up in a config file: present, one line, no NUL.
 *
 * @example
 * const module = requiredWord(p, 'module', 'the Python module of the WSGI app', 'webapp');
 */
export function requiredLine<P, K extends keyof P>(params: P, key: K, what: string, recipeName: string): string {
  const v = required(params, key, what);
  if (typeof v !== 'string') fail(recipeName, String(key), `must be a string, got ${JSON.stringify(v)}`, `pass ${what}`);
  if (/[\n\r\0]/.test(v)) fail(recipeName, String(key), `${JSON.stringify(v)} must be one line`, `pass ${what} without line breaks`);
  return v;
}

/**
 * A required absolute path on the host (not `/` itself).
 *
 * @example
 * const appDir = requiredPath(p, 'appDir', 'the folder the app is deployed to, like /opt/webapp', 'webapp');
 */
export function requiredPath<P, K extends keyof P>(params: P, key: K, what: string, recipeName: string): string {
  const v = requiredLine(params, key, what, recipeName);
  if (!v.startsWith('/') || v.replace(/\/+$/, '') === '') fail(recipeName, String(key), `${JSON.stringify(v)} must be an absolute path other than /`, `pass ${what}`);
  if (/\s/.test(v)) fail(recipeName, String(key), `${JSON.stringify(v)} must not contain spaces (config files the recipe writes would break)`, `pass ${what}`);
  return v.replace(/\/+$/, '');
}

/**
 * A required value matching `pattern` (user names, module names, program names ...).
 *
 * @example
 * const owner = requiredMatch(p, 'owner', 'the user owning the app folder', /^[a-z_][a-z0-9_-]*$/, 'webapp');
 */
export function requiredMatch<P, K extends keyof P>(params: P, key: K, what: string, pattern: RegExp, recipeName: string): string {
  const v = requiredLine(params, key, what, recipeName);
  if (!pattern.test(v)) fail(recipeName, String(key), `${JSON.stringify(v)} is not valid: it must match ${pattern}`, `pass ${what}`);
  return v;
}

/**
 * A required whole number between `min` and `max`.
 *
 * @example
 * const port = requiredInt(p, 'port', 'the port the app listens on', 1, 65535, 'webapp');
 */
export function requiredInt<P, K extends keyof P>(params: P, key: K, what: string, min: number, max: number, recipeName: string): number {
  const v = required(params, key, what);
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    fail(recipeName, String(key), `${JSON.stringify(v)} must be a whole number from ${min} to ${max}`, `pass ${what}`);
  }
  return v;
}

/** Checks an optional whole number; undefined stays undefined. */
export function optionalInt<P, K extends keyof P>(params: P, key: K, what: string, min: number, max: number, recipeName: string): number | undefined {
  return params[key] === undefined ? undefined : requiredInt(params, key, what, min, max, recipeName);
}

/**
 * A local path given by the user: a `file:` URL, an absolute path, or a path relative to
 * the folder of the user's file that applied the recipe (their deploy.ts), the same base as
 * `copy` and `template` sources.
 *
 * @example
 * localPath('app/')   // the app folder next to deploy.ts
 */
export function localPath(p: string | URL): string {
  return p instanceof URL ? fileURLToPath(p) : resolveFromCaller(p);
}

/**
 * A file shipped in a recipe's `files/` folder, by the recipe module's `import.meta.url`.
 * From the sources that is `recipes/<name>/files/`; from the build (`dist/recipes/<name>/`)
 * the files are still in the package's `recipes/<name>/files/`, which is where it looks then.
 *
 * @example
 * recipeFile(import.meta.url, 'nginx.conf.mustache')
 */
export function recipeFile(moduleUrl: string, name: string): string {
  const here = dirname(fileURLToPath(moduleUrl));
  const direct = join(here, 'files', name);
  if (existsSync(direct)) return direct;
  const fromBuild = join(here, '..', '..', '..', 'recipes', basename(here), 'files', name);
  return existsSync(fromBuild) ? fromBuild : direct;
}

/**
 * A short task name for a file the recipe writes: `template nginx.conf → /etc/nginx/nginx.conf`
 * rather than the absolute path of the recipe's own template.
 *
 * @example
 * fileTaskName('template', '/x/files/nginx.conf.mustache', '/etc/nginx/nginx.conf')
 */
export function fileTaskName(kind: 'template' | 'copy', src: string | { inline: string }, dest: string): string {
  const shown = typeof src === 'string' ? basename(src).replace(/\.mustache$/, '') : 'inline template';
  return `${kind} ${shown} → ${dest}`;
}
