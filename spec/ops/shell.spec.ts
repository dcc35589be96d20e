import { test } from 'uvu';
import { commandOp, type CommandArgs } from '../../lib/ops/command.js';
import { shellOp, type ShellArgs } from '../../lib/ops/shell.js';
import { opTable, sections } from '../support/op-harness.js';

const G = '::shipshape::guards\n';

opTable<ShellArgs>(shellOp, [
  {
    name: 'runs a bare command every time and says it cannot know',
    args: { command: '/opt/webapp/venv/bin/pip install -r /opt/webapp/requirements.txt' },
    expect: {
      probe: null,
      changes: [{ what: 'run', after: '/opt/webapp/venv/bin/pip install -r /opt/webapp/requirements.txt' }],
      unknown: true,
      actions: [{ kind: 'exec', command: '/opt/webapp/venv/bin/pip install -r /opt/webapp/requirements.txt' }],
    },
  },
  {
    name: 'skips when the creates path exists',
    args: { command: 'python3 -m venv /opt/webapp/venv', creates: '/opt/webapp/venv/bin/activate' },
    probed: sections(`${G}skip creates\n`),
    expect: { probe: ["if [ -e /opt/webapp/venv/bin/activate ]; then echo 'skip creates'; else echo run; fi"], changes: [], noop: '/opt/webapp/venv/bin/activate exists', actions: [] },
  },
  {
    name: 'runs when the creates path is missing',
    args: { command: 'python3 -m venv /opt/webapp/venv', creates: '/opt/webapp/venv/bin/activate' },
    probed: sections(`${G}run\n`),
    expect: { changes: [{ what: 'run', before: '/opt/webapp/venv/bin/activate does not exist', after: 'python3 -m venv /opt/webapp/venv' }], actions: [{ kind: 'exec', command: 'python3 -m venv /opt/webapp/venv' }] },
  },
  {
    name: 'skips when the removes path is gone',
    args: { command: 'rm -f /etc/nginx/sites-enabled/default', removes: '/etc/nginx/sites-enabled/default' },
    probed: sections(`${G}skip removes\n`),
    expect: { probe: ["if [ ! -e /etc/nginx/sites-enabled/default ]; then echo 'skip removes'"], changes: [], noop: '/etc/nginx/sites-enabled/default does not exist' },
  },
  {
    name: 'runs unless in the probe with the same cwd and env, and skips when it succeeds',
    args: { command: 'make install', unless: 'test -x bin/app', cwd: '/srv/app src', env: { PREFIX: "/opt/it's" } },
    probed: sections(`${G}skip unless\n`),
    expect: {
      probe: [`sh -c 'cd -- '\\''/srv/app src'\\'' || exit 1\nexport PREFIX='\\''/opt/it'\\''\\'\\'''\\''s'\\''\ntest -x bin/app' </dev/null >/dev/null 2>&1; then echo 'skip unless'`],
      changes: [], noop: 'unless succeeded: test -x bin/app',
    },
  },
  {
    name: 'runs in cwd with env exported when unless fails',
    args: { command: 'make install', unless: 'test -x bin/app', cwd: '/srv/app', env: { PREFIX: '/opt/app', CFLAGS: '-O2 -g' } },
    probed: sections(`${G}run\n`),
    expect: { changes: [{ what: 'run', before: 'unless failed', after: 'make install' }], actions: [{ kind: 'exec', command: "cd -- /srv/app || exit 1\nexport PREFIX=/opt/app CFLAGS='-O2 -g'\nmake install" }] },
  },
  {
    name: 'resolves a relative creates path against cwd',
    args: { command: 'tar xzf app.tgz', creates: 'app/README', cwd: '/srv/' },
    probed: sections(`${G}skip creates\n`),
    expect: { probe: ['[ -e /srv/app/README ]'], changes: [], noop: '/srv/app/README exists' },
  },
  {
    name: 'checks creates, removes and unless in that order in one probe',
    args: { command: 'x', creates: '/a', removes: '/b', unless: 'false' },
    probed: sections(`${G}run\n`),
    expect: {
      probe: ["if [ -e /a ]; then echo 'skip creates'; elif [ ! -e /b ]; then echo 'skip removes'; elif sh -c false </dev/null >/dev/null 2>&1; then echo 'skip unless'; else echo run; fi"],
      changes: [{ what: 'run', before: '/a does not exist, /b exists, unless failed' }],
    },
  },
  { name: 'rejects an empty command', args: { command: '  ' }, expect: { problems: ['command "  " must be a non-empty shell command'] } },
  { name: 'rejects a relative creates without cwd', args: { command: 'x', creates: 'out.txt' }, expect: { problems: ['creates "out.txt" must be an absolute path (or give cwd for it to be relative to)'] } },
  { name: 'rejects a relative cwd', args: { command: 'x', cwd: 'srv' }, expect: { problems: ['cwd "srv" must be an absolute path'] } },
  { name: 'rejects a bad env name and a non-string value', args: { command: 'x', env: { 'BAD-NAME': 'x', N: 1 as never } }, expect: { problems: ['env name "BAD-NAME" is not a valid variable name (letters, digits and _, not starting with a digit)', 'env N=1 must be a string'] } },
  { name: 'rejects an empty unless', args: { command: 'x', unless: '' }, expect: { problems: ['unless "" must be a shell command or a non-empty argv array of strings'] } },
]);

opTable<CommandArgs>(commandOp, [
  {
    name: 'quotes every word of argv',
    args: { argv: ['supervisorctl', 'restart', 'app; rm -rf /'] },
    expect: { changes: [{ what: 'run', after: "supervisorctl restart 'app; rm -rf /'" }], unknown: true, actions: [{ kind: 'exec', command: "supervisorctl restart 'app; rm -rf /'" }] },
  },
  {
    name: 'takes unless as argv too',
    args: { argv: ['useradd', 'www'], unless: ['id', 'www'] },
    probed: sections(`${G}skip unless\n`),
    expect: { probe: ["if sh -c 'id www' </dev/null >/dev/null 2>&1; then echo 'skip unless'"], changes: [], noop: 'unless succeeded: id www' },
  },
  {
    name: 'runs in cwd with env',
    args: { argv: ['./manage.py', 'migrate'], cwd: '/opt/webapp', env: { DJANGO_SETTINGS_MODULE: 'app.settings' }, creates: '/opt/webapp/.migrated' },
    probed: sections(`${G}run\n`),
    expect: { changes: [{ what: 'run', before: '/opt/webapp/.migrated does not exist', after: './manage.py migrate' }], actions: [{ kind: 'exec', command: 'cd -- /opt/webapp || exit 1\nexport DJANGO_SETTINGS_MODULE=app.settings\n./manage.py migrate' }] },
  },
  { name: 'rejects an empty argv', args: { argv: [] }, expect: { problems: ['argv [] must be a non-empty array of strings (the program first)'] } },
  { name: 'rejects argv that is a string', args: { argv: 'ls -l' as never }, expect: { problems: ['argv "ls -l" must be a non-empty array of strings (the program first)'] } },
]);

test.run();
