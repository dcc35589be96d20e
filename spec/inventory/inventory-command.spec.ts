// `shipshape inventory` run as a process (tsx bin/shipshape.ts), as ansible-inventory is.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT, runCommand } from '../support/packed.js';
import { tmpDir } from '../support/tmp.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const TSX = join(ROOT, 'node_modules/tsx/dist/cli.mjs');

const shipshape = (...args: string[]) => runCommand(process.execPath, [TSX, join(ROOT, 'bin/shipshape.ts'), 'inventory', ...args], { cwd: FIXTURES });

test('--list prints ansible-inventory\'s JSON: _meta.hostvars, all.children, each group\'s hosts and children', async () => {
  const r = await shipshape('-i', 'ini/hosts', '--list');
  assert.is(r.code, 0, r.output);
  const list = JSON.parse(r.stdout) as Record<string, { hosts?: string[]; children?: string[] }> & { _meta: { hostvars: Record<string, Record<string, unknown>> } };
  assert.equal(list.all!.children, ['prod', 'ungrouped']);
  assert.equal(list.prod!.children, ['db', 'web']);
  assert.equal(list.web!.hosts, ['web01.example.com', 'web02.example.com', 'web03.example.com', 'web-canary']);
  assert.equal(list.ungrouped!.hosts, ['bastion']);
  assert.is(list._meta.hostvars['web01.example.com']!.http_port, 9000);
  assert.is(list._meta.hostvars['db-a']!.pg_primary, true);
});

test('--graph draws the tree: @all:, child groups before hosts, each level indented with |', async () => {
  const r = await shipshape('-i', 'yaml/hosts.yml', '--graph');
  assert.is(r.code, 0, r.output);
  assert.is(r.stdout, [
    '@all:',
    '  |--@db:',
    '  |  |--@replicas:',
    '  |  |  |--replica-01',
    '  |  |--db-a',
    '  |  |--db-b',
    '  |--@ungrouped:',
    '  |  |--mail.example.org',
    '  |--@web:',
    '  |  |--web-3.example.org',
    '  |  |--web1.example.org',
    '  |  |--web2.example.org',
    '',
  ].join('\n'));
});

test('--host prints one host\'s merged variables as JSON', async () => {
  const r = await shipshape('--inventory', 'yaml/hosts.yml', '--host', 'web-3.example.org');
  assert.is(r.code, 0, r.output);
  assert.equal(JSON.parse(r.stdout), { ntp_server: 'ntp.example.org', timezone: 'UTC', http_port: 8080, ansible_host: '192.0.2.30', ansible_port: 2222 });
});

test('a misspelled flag, an unknown host and a missing mode are usage errors (exit 4) with the fix', async () => {
  const typo = await shipshape('-i', 'ini/hosts', '--grap');
  assert.is(typo.code, 4);
  assert.match(typo.stderr, 'unknown option --grap (did you mean --graph?)');
  const host = await shipshape('-i', 'ini/hosts', '--host', 'web01.example.con');
  assert.is(host.code, 4);
  assert.match(host.stderr, 'has no host "web01.example.con" (did you mean web01.example.com?)');
  const none = await shipshape('-i', 'ini/hosts');
  assert.is(none.code, 4);
  assert.match(none.stderr, 'Give --list, --graph or --host NAME');
  assert.is(typo.stdout + host.stdout + none.stdout, '');
});

test('a malformed inventory exits 4 naming the file and the line, without a stack trace', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    writeFileSync(join(dir, 'hosts'), '[web]\nweb-01 ansible_port\n');
    const r = await shipshape('-i', join(dir, 'hosts'), '--graph');
    assert.is(r.code, 4, r.output);
    assert.match(r.stderr, `${join(dir, 'hosts')}:2: host web-01: expected key=value host variable assignment, got "ansible_port"`);
    assert.not.match(r.stderr, /^\s+at .+:\d+:\d+\)?$/m);
  } finally { cleanup(); }
});

test.run();
