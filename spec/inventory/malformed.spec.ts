// Malformed inventories: each gets one error naming the file and the field, before any host is
// added (no crash, no host invented from the letters of a string), and deploy() reports it
// as a plan problem with exit code 4.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createProject } from '../../lib/dsl/project.js';
import { deployProject } from '../../lib/engine/deploy.js';
import { Inventory } from '../../lib/inventory/inventory.js';
import type { InventoryData } from '../../lib/inventory/types.js';
import { tmpDir } from '../support/tmp.js';

const { dir, cleanup } = tmpDir('shipshape-inventories-');
process.on('exit', cleanup);

interface Case {
  name: string;
  /** File name in a temp dir (a `.sh` file becomes a script printing `content`), or omitted for an object. */
  file?: string;
  content: unknown;
  /** The error after `<path>: ` (or `inventory object: `). */
  error: string;
}

const CLUSTER: Case[] = [
  { name: 'null', file: 'cluster.json', content: null, error: 'the top level must be an object: cluster.json\'s { "nodes": [...] }, Ansible\'s { "group": { "hosts": [...] } } or { "hosts": {...}, "groups": {...} } (got null)' },
  { name: 'an array', file: 'cluster.json', content: [{ host_name: 'web-01' }], error: 'the top level must be an object' },
  { name: 'a number', file: 'cluster.json', content: 5, error: 'the top level must be an object' },
  { name: 'no nodes', file: 'cluster.json', content: { node: [{ host_name: 'web-01' }] }, error: 'nodes must be a list of nodes (got nothing)' },
  { name: 'nodes as an object', file: 'cluster.json', content: { nodes: { host_name: 'web-01' } }, error: 'nodes must be a list of nodes (got {"host_name":"web-01"})' },
  { name: 'a null node', file: 'cluster.json', content: { nodes: [null] }, error: 'nodes[0] must be an object with host_name (got null)' },
  { name: 'a number as host name', file: 'cluster.json', content: { nodes: [{ host_name: 'a' }, { host_name: 5 }] }, error: 'nodes[1].host_name must be a string (got 5)' },
  { name: 'a missing host name', file: 'cluster.json', content: { nodes: [{ hostname: 'a' }] }, error: 'nodes[0].host_name must be a string (got nothing)' },
  { name: 'an empty host name', file: 'cluster.json', content: { nodes: [{ host_name: '' }] }, error: 'nodes[0].host_name must not be empty (got "")' },
  { name: 'a host name with a newline', file: 'cluster.json', content: { nodes: [{ host_name: 'web-01\nRECAP' }] }, error: 'nodes[0].host_name must be one word: no white space, line break or control character (got "web-01\\nRECAP")' },
  { name: 'a host name with an escape sequence', file: 'cluster.json', content: { nodes: [{ host_name: 'web\u001b[31m' }] }, error: 'nodes[0].host_name must be one word' },
  { name: 'a host name with a space', file: 'cluster.json', content: { nodes: [{ host_name: 'web 01' }] }, error: 'nodes[0].host_name must be one word' },
  { name: 'a duplicate host name', file: 'cluster.json', content: { nodes: [{ host_name: 'a' }, { host_name: 'a' }] }, error: 'nodes[1].host_name is also nodes[0].host_name (got "a")' },
  { name: 'port_mappings as a string', file: 'cluster.json', content: { nodes: [{ host_name: 'a', port_mappings: '22:2222' }] }, error: 'nodes[0].port_mappings must be a list of { guest_port, host_port, host_ip } (got "22:2222")' },
  { name: 'a port as a string', file: 'cluster.json', content: { nodes: [{ host_name: 'a', port_mappings: [{ guest_port: '22', host_port: 2222 }] }] }, error: 'nodes[0].port_mappings[0].guest_port must be a port: a whole number from 1 to 65535 (got "22")' },
  { name: 'a port out of range', file: 'cluster.json', content: { nodes: [{ host_name: 'a', port_mappings: [{ guest_port: 22, host_port: 70000 }] }] }, error: 'nodes[0].port_mappings[0].host_port must be a port: a whole number from 1 to 65535 (got 70000)' },
  { name: 'a null port mapping', file: 'cluster.json', content: { nodes: [{ host_name: 'a', port_mappings: [null] }] }, error: 'nodes[0].port_mappings[0] must be an object { guest_port, host_port, host_ip } (got null)' },
  { name: 'host_ip not a string', file: 'cluster.json', content: { nodes: [{ host_name: 'a', port_mappings: [{ guest_port: 22, host_port: 2222, host_ip: 127 }] }] }, error: 'nodes[0].port_mappings[0].host_ip must be a string (got 127)' },
  { name: 'groups as a string', file: 'cluster.json', content: { nodes: [{ host_name: 'a', groups: 'web' }] }, error: 'nodes[0].groups must be a list of group names (got "web")' },
  { name: 'a number as group', file: 'cluster.json', content: { nodes: [{ host_name: 'a', groups: ['web', 7] }] }, error: 'nodes[0].groups[1] must be a string (got 7)' },
  { name: 'network_configs as a string', file: 'cluster.json', content: { nodes: [{ host_name: 'a', network_configs: '10.0.0.1' }] }, error: 'nodes[0].network_configs must be a list of objects (got "10.0.0.1")' },
  { name: 'several problems at once', file: 'cluster.json', content: { nodes: [{ host_name: 5 }, null] }, error: 'nodes[0].host_name must be a string (got 5); nodes[1] must be an object with host_name (got null)' },
];

const ANSIBLE: Case[] = [
  { name: 'hosts as a string', file: 'inventory.json', content: { web: { hosts: 'web-01' } }, error: 'web.hosts must be a list of host names, or an object of host name: variables (got "web-01")' },
  { name: 'numbers as host names', file: 'inventory.json', content: { web: { hosts: [1, 2] } }, error: 'web.hosts[0] must be a string (got 1); web.hosts[1] must be a string (got 2)' },
  { name: 'a group as a string', file: 'inventory.json', content: { web: 'web-01', _meta: {} }, error: 'web must be a group: an object with hosts, vars and children, or a list of host names (got "web-01")' },
  { name: 'an old-style group with a number', file: 'inventory.json', content: { web: ['web-01', 3], _meta: {} }, error: 'web[1] must be a string (got 3)' },
  { name: '_meta as a list', file: 'inventory.json', content: { _meta: [], web: ['a'] }, error: '_meta must be an object with hostvars (got [])' },
  { name: 'hostvars as a list', file: 'inventory.json', content: { _meta: { hostvars: [] }, web: ['a'] }, error: '_meta.hostvars must be an object of host name: variables (got [])' },
  { name: 'hostvars of a host as a string', file: 'inventory.json', content: { _meta: { hostvars: { a: 'x' } } }, error: '_meta.hostvars.a must be an object of variables (got "x")' },
  { name: 'a host name with a newline in hostvars', file: 'inventory.json', content: { _meta: { hostvars: { 'a\nb': {} } } }, error: '_meta.hostvars["a\\nb"]: a host name must be one word: no white space, line break or control character' },
  { name: 'a port that is not a number', file: 'inventory.json', content: { _meta: { hostvars: { a: { ansible_port: 'ssh' } } } }, error: 'ansible_port of host "a" must be a port: a whole number from 1 to 65535 (or its digits as a string) (got "ssh")' },
  { name: 'an address with a space', file: 'inventory.json', content: { web: { hosts: ['a'], vars: { ansible_host: '10.0.0.1 -oProxyCommand=x' } } }, error: 'ansible_host of host "a" must be one word' },
  { name: 'become that is not a boolean', file: 'inventory.json', content: { _meta: { hostvars: { a: { ansible_become: 'sometimes' } } } }, error: 'ansible_become of host "a" must be true or false (got "sometimes")' },
  { name: 'children as a string', file: 'inventory.json', content: { web: { children: 'db' }, _meta: {} }, error: 'web.children must be a list of group names, or an object of group name: group (got "db")' },
  { name: 'vars as a list', file: 'inventory.json', content: { web: { hosts: ['a'], vars: ['x'] }, _meta: {} }, error: 'web.vars must be an object of variables (got ["x"])' },
  { name: 'a misspelled group key', file: 'inventory.json', content: { web: { host: ['a'] }, _meta: {} }, error: 'web.host is not part of a group (did you mean hosts?)' },
  { name: 'host variables as a number', file: 'inventory.json', content: { web: { hosts: { a: 5 } }, _meta: {} }, error: 'web.hosts.a must be an object of host variables (or null) (got 5)' },
  { name: 'a script printing null', file: 'inventory.sh', content: null, error: 'the top level must be an object of groups (and _meta) (got null)' },
  { name: 'a script printing a list', file: 'inventory.sh', content: ['web-01'], error: 'the top level must be an object of groups (and _meta) (got ["web-01"])' },
  { name: 'a script printing hosts as a string', file: 'inventory.sh', content: { web: { hosts: 'web-01' } }, error: 'web.hosts must be a list of host names' },
  { name: 'a script printing a number as host name', file: 'inventory.sh', content: { _meta: { hostvars: {} }, web: { hosts: ['ok', 12] } }, error: 'web.hosts[1] must be a string (got 12)' },
];

const NATIVE: Case[] = [
  { name: 'a host with null options', file: 'hosts.json', content: { hosts: { 'web-01': null } }, error: 'hosts["web-01"] must be an object of host options (address, port, user, ...) (got null)' },
  { name: 'a port as a string', file: 'hosts.json', content: { hosts: { 'web-01': { port: '22' } } }, error: 'hosts["web-01"].port must be a port: a whole number from 1 to 65535 (got "22")' },
  { name: 'a misspelled host option', file: 'hosts.json', content: { hosts: { 'web-01': { adress: '10.0.0.5' } } }, error: 'hosts["web-01"].adress is not a host option (did you mean address?)' },
  { name: 'an address with a newline', file: 'hosts.json', content: { hosts: { a: { address: '10.0.0.1\nx' } } }, error: 'hosts.a.address must be one word' },
  { name: 'an unknown transport', file: 'hosts.json', content: { hosts: { a: { transport: 'telnet' } } }, error: 'hosts.a.transport must be \'ssh\' or \'local\' (got "telnet")' },
  { name: 'vars as a string', file: 'hosts.json', content: { hosts: { a: { vars: 'x=1' } } }, error: 'hosts.a.vars must be an object of variables (got "x=1")' },
  { name: 'a group as a string', file: 'hosts.json', content: { hosts: {}, groups: { web: 'web-01' } }, error: 'groups.web must be a list of host names, or { hosts, vars, children } (got "web-01")' },
  { name: 'a number in a group', file: 'hosts.json', content: { hosts: {}, groups: { web: [0, 1] } }, error: 'groups.web[0] must be a string (got 0); groups.web[1] must be a string (got 1)' },
  { name: 'a misspelled top-level key', file: 'hosts.json', content: { hosts: {}, group: {} }, error: 'group is not part of an inventory (did you mean groups?)' },
  { name: 'an object: groups as a string', content: { groups: { web: 'web-01' } }, error: 'groups.web must be a list of host names, or { hosts, vars, children } (got "web-01")' },
  { name: 'an object: null', content: null, error: 'the inventory must be an object with hosts and groups (got null)' },
  { name: 'an object: a host name with a newline', content: { hosts: { 'web\n01': {} } }, error: 'hosts["web\\n01"]: a host name must be one word' },
  { name: 'an object: become with a bad user', content: { hosts: { a: { become: { user: 'root\nx' } } } }, error: 'hosts.a.become.user must be one word' },
  { name: 'a keepalive interval as a string', file: 'hosts.json', content: { hosts: { a: { keepaliveInterval: '5' } } }, error: 'hosts.a.keepaliveInterval must be a whole number from 1 to 3600 (got "5")' },
  { name: 'allowSshRsa as a string', content: { hosts: { a: { allowSshRsa: 'yes' } } }, error: 'hosts.a.allowSshRsa must be true or false (got "yes")' },
];

/** Loads the case into a fresh inventory; the problems it reported, and the label they start with. */
function load(c: Case): { problems: string[]; inv: Inventory; label: string } {
  const problems: string[] = [];
  const inv = new Inventory((m) => problems.push(m));
  if (c.file === undefined) return { problems, inv: inv.load(c.content as InventoryData), label: 'inventory object' };
  const sub = join(dir, c.name.replace(/[^a-z0-9]+/gi, '-'));
  const path = join(sub, c.file);
  mkdirSync(sub, { recursive: true });
  if (c.file.endsWith('.sh')) {
    writeFileSync(path, `#!/bin/sh\ncat <<'EOF'\n${JSON.stringify(c.content)}\nEOF\n`);
    chmodSync(path, 0o755);
  } else writeFileSync(path, JSON.stringify(c.content));
  return { problems, inv: inv.load(path), label: c.file.endsWith('.sh') ? `${path} --list` : path };
}

for (const [kind, cases] of [['cluster.json', CLUSTER], ['Ansible inventory', ANSIBLE], ['shipshape inventory', NATIVE]] as const) {
  for (const c of cases) {
    test(`${kind}: ${c.name} is one error naming the file and the field, and adds no host`, () => {
      const { problems, inv, label } = load(c);
      assert.is(problems.length, 1, `problems: ${JSON.stringify(problems)}`);
      assert.ok(problems[0]!.startsWith(`${label}: ${c.error}`), `got:  ${problems[0]}\nwant: ${label}: ${c.error}`);
      assert.not.match(problems[0]!, 'Cannot read properties');
      assert.is(inv.hosts.size, 0);
      assert.is(inv.groups.size, 0);
    });
  }
}

test('group names that are also Object.prototype keys are groups like any other', () => {
  const c: Case = { name: 'prototype keys', file: 'cluster.json', content: { nodes: [{ host_name: 'a', groups: ['constructor', '__proto__', 'toString'] }] }, error: '' };
  const { problems, inv } = load(c);
  assert.equal(problems, []);
  assert.equal([...inv.groups.keys()].sort(), ['__proto__', 'all', 'constructor', 'toString']);
  assert.equal([...inv.groups.get('constructor')!], ['a']);
  const json = JSON.parse('{"constructor": {"hosts": ["b"]}, "__proto__": {"hosts": ["c"]}, "_meta": {"hostvars": {"b": {"ansible_port": 2222}}}}');
  const ansible = load({ name: 'prototype keys ansible', file: 'inventory.json', content: json, error: '' });
  assert.equal(ansible.problems, []);
  assert.equal([...ansible.inv.groups.get('__proto__')!], ['c']);
  assert.is(ansible.inv.hosts.get('b')!.port, 2222);
});

test('the static Ansible form (hosts and children as objects) and null groups are read', () => {
  const content = { all: { children: { web: { hosts: { 'web-01': { ansible_host: '10.77.0.5', ansible_port: '2222' } } }, db: null } } };
  const { problems, inv } = load({ name: 'static form', file: 'inventory.json', content, error: '' });
  assert.equal(problems, []);
  assert.is(inv.hosts.get('web-01')!.address, '10.77.0.5');
  assert.is(inv.hosts.get('web-01')!.port, 2222);
  assert.equal([...inv.groups.get('web')!], ['web-01']);
  assert.equal([...inv.groups.get('db')!], []);
});

test('deploy() reports a malformed inventory as a plan problem: exit 4, the file and field named, nothing contacted', async () => {
  const { label } = load({ name: 'deploy', file: 'cluster.json', content: { nodes: [{ host_name: 'web-01' }, { host_name: ['web-02'] }] }, error: '' });
  const p = createProject();
  p.inventory.load(label);
  p.group('all').shell('true');
  let contacted = 0;
  const r = await deployProject(p, { argv: [], keepExitCode: true, reporter: () => undefined, connect: async () => { contacted++; throw new Error('no host may be contacted'); } });
  assert.is(r.exitCode, 4);
  assert.is(contacted, 0);
  assert.ok(r.problems!.some((q) => q.message.startsWith(`inventory: ${label}: nodes[1].host_name must be a string (got ["web-02"])`)), JSON.stringify(r.problems));
});

test.run();
