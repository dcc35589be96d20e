import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Inventory } from '../../lib/inventory/inventory.js';
import { tmpDir } from '../support/tmp.js';

// The seed tutorial's cluster.json, as shipped in examples/.
const seedCluster = JSON.parse(readFileSync(new URL('../../examples/cluster.json', import.meta.url), 'utf8'));

test('cluster.json nodes become hosts reached on their forwarded port 22 as vagrant with the Vagrant key', () => {
  const { dir, cleanup } = tmpDir();
  try {
    const f = join(dir, 'cluster.json');
    writeFileSync(f, JSON.stringify(seedCluster));
    const inv = new Inventory().load(f);
    assert.equal(inv.hosts.get('web-01'), {
      address: '127.0.0.1', port: 22003, user: 'vagrant', become: true,
      privateKey: join(dir, '.vagrant/machines/web-01/virtualbox/private_key'), vars: {},
    });
    assert.equal([...inv.groups.get('all')!], ['web-01']);
  } finally { cleanup(); }
});

test('an Ansible dynamic inventory script is run with --list and its hostvars are read', () => {
  const { dir, cleanup } = tmpDir();
  try {
    const f = join(dir, 'inventory.py');
    writeFileSync(f, `#!/usr/bin/env python3
import json, sys
assert sys.argv[1] == '--list'
print(json.dumps({'webservers': {'hosts': ['web-01'], 'vars': {'tier': 'front'}},
  '_meta': {'hostvars': {'web-01': {'ansible_host': '127.0.0.1', 'ansible_port': '22003', 'ansible_user': 'vagrant',
  'ansible_private_key_file': '.vagrant/machines/web-01/virtualbox/private_key'}}}}))
`);
    chmodSync(f, 0o755);
    const inv = new Inventory().load(f);
    const h = inv.hosts.get('web-01')!;
    assert.is(h.address, '127.0.0.1');
    assert.is(h.port, 22003);
    assert.is(h.user, 'vagrant');
    assert.is(h.privateKey, join(dir, '.vagrant/machines/web-01/virtualbox/private_key'));
    assert.is(h.vars!.tier, 'front');
    assert.equal([...inv.groups.get('webservers')!], ['web-01']);
  } finally { cleanup(); }
});

test('a failing inventory script is an error that names it and the fix', () => {
  const { dir, cleanup } = tmpDir();
  try {
    const f = join(dir, 'bad.sh');
    writeFileSync(f, '#!/bin/sh\necho nope >&2\nexit 2\n');
    chmodSync(f, 0o755);
    assert.throws(() => new Inventory().load(f), (e: Error) => /bad\.sh failed/.test(e.message));
    assert.throws(() => new Inventory().load(join(dir, 'missing.json')), /does not exist/);
  } finally { cleanup(); }
});

test('an inventory object adds hosts and groups; later loads add to earlier ones', () => {
  const inv = new Inventory()
    .load({ hosts: { a: { address: '10.77.0.9', vars: { x: 1 } } }, groups: { g: ['a', 'b'] } })
    .load({ hosts: { a: { port: 2222, vars: { y: 2 } } } });
  assert.equal(inv.hosts.get('a'), { address: '10.77.0.9', port: 2222, vars: { x: 1, y: 2 } });
  assert.ok(inv.hosts.has('b'));
});

test.run();
