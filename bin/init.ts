// `shipshape init [DIR]`: a new project to deploy from, ready for `npm i` and a lab host.
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { HELP, usageError, type Command } from './command.js';
import { packageName, projectFiles, SAMPLE_PORTS } from './init-files.js';
import { packageInfo } from './package-info.js';

export const INIT_COMMAND: Command = {
  name: 'init',
  usage: 'shipshape init [DIR]',
  summary: [
    'Start a new project to deploy from, in DIR (default: this folder; made when missing).',
    '',
    'Writes package.json (shipshape, tsx, typescript), tsconfig.json, .gitignore, a cluster.json',
    `with one lab host, web-01 (SSH on 127.0.0.1:${SAMPLE_PORTS.ssh}, HTTP on 127.0.0.1:${SAMPLE_PORTS.http}), and a deploy.ts`,
    'that puts the webapp recipe on it. Nothing is overwritten: when one of these files exists,',
    'init writes none of them and exits 4.',
  ].join('\n'),
  flags: [HELP],
  prepare({ positionals }) {
    const [dir = '.', ...extra] = positionals;
    if (extra.length) throw usageError(`shipshape init: unexpected argument ${extra[0]}`, `${this.usage}  (one folder)`);
    const path = resolve(dir);
    const st = statSync(path, { throwIfNoEntry: false });
    if (st && !st.isDirectory()) throw usageError(`shipshape init: ${dir} exists and is not a folder`, 'name a folder: shipshape init infra');
    const { version, devDependencies: dev } = packageInfo();
    const files = projectFiles(packageName(basename(path)), {
      shipshape: `^${version}`,
      // shipshape's own ranges: the versions it is tested with.
      tsx: dev.tsx ?? '^4.0.0',
      typescript: dev.typescript ?? '^5.0.0',
      typesNode: dev['@types/node'] ?? '^20.0.0',
    });
    const taken = Object.keys(files).filter((f) => existsSync(join(path, f)));
    if (taken.length) {
      throw usageError(
        `shipshape init: ${taken.join(', ')} already ${taken.length === 1 ? 'exists' : 'exist'} in ${path}; nothing was written`,
        'init starts a new project: use an empty folder (shipshape init infra), or move those files away',
      );
    }
    return async () => {
      mkdirSync(path, { recursive: true });
      // wx: should a file appear since the check, it is still not overwritten.
      for (const [name, text] of Object.entries(files)) writeFileSync(join(path, name), text, { flag: 'wx' });
      console.log(nextSteps(path === process.cwd() ? '' : dir, Object.keys(files)));
      return 0;
    };
  },
};

function nextSteps(dir: string, names: string[]): string {
  return [
    `Wrote ${names.join(', ')} in ${dir || 'this folder'}.`,
    '',
    'Next:',
    ...(dir ? [`  cd ${/^[\w./-]+$/.test(dir) ? dir : JSON.stringify(dir)}`] : []),
    '  npm i',
    `  sudo npx shipshape lab up        # web-01, a local Debian test host (Linux, root)`,
    '  npx tsx deploy.ts --check        # what would change, changing nothing',
    `  npx tsx deploy.ts                # deploy; then: curl http://127.0.0.1:${SAMPLE_PORTS.http}`,
    '',
    'lab up with sudo records the host key for root: deploying as yourself, add --accept-new-host-keys once.',
  ].join('\n');
}
