// `shipshape run deploy.ts …`: the deploy file under tsx, its flags checked first.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import { dirname, resolve } from 'node:path';
import { spawn } from 'node:child_process';
import { ShipshapeError } from '../lib/errors.js';
import { DEPLOY_FLAGS, type Flag } from '../lib/flags.js';
import { HELP, usageError, type Command } from './command.js';

// The flags deploy() reads from its command line: checked here too, so a typo is named
// before the deploy file runs at all.
export const RUN_FLAGS: Flag[] = [...DEPLOY_FLAGS, HELP];

export const RUN_COMMAND: Command = {
  name: 'run',
  usage: 'shipshape run DEPLOY.ts [--check] [--diff] [--limit NAMES] [--forks N] [--json FILE] [--force-handlers] [--accept-new-host-keys]',
  summary: 'Run a deploy file with tsx, passing the flags on: the same as `npx tsx DEPLOY.ts …`.',
  flags: RUN_FLAGS,
  prepare({ positionals, positionalIndex }, argv) {
    const [file, ...extra] = positionals;
    if (!file) throw usageError('shipshape run: which deploy file?', this.usage);
    if (extra.length) throw usageError(`shipshape run: unexpected argument ${extra[0]} after ${file}`, this.usage);
    const path = resolve(file);
    if (!existsSync(path)) throw usageError(`shipshape run: deploy file ${file} does not exist (looked for ${path})`, 'check the path: it is relative to the current directory');
    const tsx = findTsx(dirname(path));
    const args = argv.filter((_, i) => i !== positionalIndex[0]);
    return () => runNode([tsx, path, ...args]);
  },
};

/** tsx from the deploy file's project, else the current directory's, else shipshape's own. */
function findTsx(deployDir: string): string {
  for (const from of [`${deployDir}/`, `${process.cwd()}/`, import.meta.url]) {
    try {
      return createRequire(from).resolve('tsx/cli');
    } catch { /* try the next place */ }
  }
  throw new ShipshapeError('shipshape run needs tsx to run a TypeScript deploy file, and none is installed', { fix: 'npm i -D tsx' });
}

function runNode(args: string[]): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, args, { stdio: 'inherit' });
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise(code ?? 128 + (signal ? constants.signals[signal] : 0)));
  });
}
