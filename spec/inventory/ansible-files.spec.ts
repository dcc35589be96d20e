// Ansible's INI and YAML inventories, read from the fixtures with their group_vars/ and host_vars/ folders.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expandHostPattern } from '../../lib/inventory/host-range.js';
import { Inventory } from '../../lib/inventory/inventory.js';
import { iniValue } from '../../lib/inventory/python-literal.js';
import { tmpDir } from '../support/tmp.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const ini = () => new Inventory().load(join(FIXTURES, 'ini/hosts'));
const yaml = () => new Inventory().load(join(FIXTURES, 'yaml/hosts.yml'));
const members = (inv: Inventory, g: string) => [...(inv.groups.get(g) ?? [])];

test('a file named hosts (no extension) is an INI inventory: sections are groups, children add their hosts', () => {
  const inv = ini();
  assert.equal(members(inv, 'web'), ['web01.example.com', 'web02.example.com', 'web03.example.com', 'web-canary']);
  assert.equal(members(inv, 'db'), ['db-a', 'db-b', 'db-c', 'db-01', 'db-03', 'db-05']);
  assert.equal(members(inv, 'prod'), [...members(inv, 'web'), ...members(inv, 'db')]);
  assert.equal(members(inv, 'ungrouped'), ['bastion']);
  assert.is(inv.groups.get('all')!.size, 11);
});

test('INI host lines give connection options: ansible_host, ansible_user, host:port, ansible_become(_user), a key path beside the file', () => {
  const inv = ini();
  assert.equal({ ...inv.hosts.get('bastion'), vars: undefined }, { address: '192.0.2.10', user: 'admin', vars: undefined });
  assert.is(inv.hosts.get('web-canary')!.port, 2222);
  assert.is(inv.hosts.get('web-canary')!.address, '192.0.2.20');
  assert.is(inv.hosts.get('db-b')!.become, 'postgres');
  assert.is(inv.hosts.get('db-03')!.privateKey, join(FIXTURES, 'ini/keys/db'));
  // host_vars/web01.example.com.json gives the port of that host only.
  assert.is(inv.hosts.get('web01.example.com')!.port, 2201);
  assert.is(inv.hosts.get('web02.example.com')!.port, undefined);
});

test('INI values are typed as Ansible types them: Python literals are read, anything else is a string', () => {
  const v = ini().hosts.get('web02.example.com')!.vars!;
  assert.is(v.workers, 4);
  assert.is(v.debug, false);
  assert.is(ini().hosts.get('web-canary')!.vars!.motd, 'canary build');
  const table: [string, unknown][] = [
    ['2222', 2222], ['True', true], ['False', false], ['None', null], ['true', 'true'], ['yes', 'yes'],
    ['10.0.0.5', '10.0.0.5'], ['010', '010'], ['1.5', 1.5], ['-3', -3], ['0x1F', 31], ["'01'", '01'],
    ['[1, 2]', [1, 2]], ["{'a': [True, None]}", { a: [true, null] }], ['80, 443', [80, 443]],
    ['8080 # a comment', 8080], ['bar # not a literal', 'bar # not a literal'], ['/srv/app', '/srv/app'],
  ];
  for (const [text, want] of table) assert.equal(iniValue(text), want, text);
});

test('host ranges expand as Ansible does: leading zeros kept, letters, strides, several ranges, a port', () => {
  const table: [string, string[], number?][] = [
    ['web[01:03].example.com', ['web01.example.com', 'web02.example.com', 'web03.example.com']],
    ['web[1:3]', ['web1', 'web2', 'web3']],
    ['db-[a:c]', ['db-a', 'db-b', 'db-c']],
    ['n[01:10:4]', ['n01', 'n05', 'n09']],
    ['r[1:2]-[a:b]', ['r1-a', 'r1-b', 'r2-a', 'r2-b']],
    ['web[1:2]:2222', ['web1', 'web2'], 2222],
    ['plain', ['plain']],
  ];
  for (const [pattern, names, port] of table) assert.equal(expandHostPattern(pattern), port === undefined ? { names } : { names, port }, pattern);
  for (const bad of ['web[01:1]', 'web[3:1]', 'web[1:]', 'web[1:2', 'web[a:3]', 'web[1:5:0]', 'web:']) assert.ok('error' in expandHostPattern(bad), bad);
});

test('group_vars/ and host_vars/ beside an INI file: a file, a .yml, a folder of files, group_vars/all', () => {
  const inv = ini();
  const web = inv.hosts.get('web02.example.com')!.vars!;
  assert.is(web.app_name, 'shop');           // group_vars/web/10-app.yml
  assert.is(web.tls, true);                  // group_vars/web/20-tls.yaml, YAML 1.1: yes is true
  assert.is(web.timezone, 'UTC');            // group_vars/all.yml
  assert.is(inv.hosts.get('db-c')!.vars!.pg_version, '15');   // group_vars/db, no extension
  assert.is(inv.hosts.get('db-a')!.vars!.pg_primary, true);   // host_vars/db-a.yml
  assert.is(inv.hosts.get('db-b')!.vars!.pg_primary, undefined);
});

test('a YAML inventory: all, hosts, children, vars, ranges in host keys, host vars, and its vars folders', () => {
  const inv = yaml();
  assert.equal(members(inv, 'web'), ['web1.example.org', 'web2.example.org', 'web-3.example.org']);
  assert.equal(members(inv, 'db'), ['db-a', 'db-b', 'replica-01']);
  assert.equal(members(inv, 'ungrouped'), ['mail.example.org']);
  const w3 = inv.hosts.get('web-3.example.org')!;
  assert.equal([w3.address, w3.port, w3.vars!.http_port, w3.vars!.ntp_server, w3.vars!.timezone], ['192.0.2.30', 2222, 8080, 'ntp.example.org', 'UTC']);
  assert.equal([inv.hosts.get('db-b')!.user, inv.hosts.get('db-b')!.become], ['dba', true]);
  assert.is(inv.hosts.get('replica-01')!.address, '192.0.2.41');
  assert.is(inv.groupVars('replicas').timezone, 'UTC');
});

test('a .yaml file, an .ini file and an empty YAML file are read by their extension', () => {
  const { dir, cleanup } = tmpDir();
  try {
    writeFileSync(join(dir, 'a.yaml'), 'web:\n  hosts:\n    w1:\n');
    writeFileSync(join(dir, 'b.ini'), '[db]\nd1\n');
    writeFileSync(join(dir, 'c.cfg'), '[cache]\nc1\n');
    writeFileSync(join(dir, 'empty.yml'), '');
    const inv = new Inventory().load(join(dir, 'a.yaml')).load(join(dir, 'b.ini')).load(join(dir, 'c.cfg')).load(join(dir, 'empty.yml'));
    assert.equal([members(inv, 'web'), members(inv, 'db'), members(inv, 'cache')], [['w1'], ['d1'], ['c1']]);
  } finally { cleanup(); }
});

test('a JSON inventory without .json (a file named inventory) is still read as JSON', () => {
  const { dir, cleanup } = tmpDir();
  try {
    writeFileSync(join(dir, 'inventory'), JSON.stringify({ web: { hosts: ['w1'] } }));
    assert.equal(members(new Inventory().load(join(dir, 'inventory')), 'web'), ['w1']);
  } finally { cleanup(); }
});

test('group_vars/ and host_vars/ apply beside cluster.json too', () => {
  const { dir, cleanup } = tmpDir();
  try {
    writeFileSync(join(dir, 'cluster.json'), JSON.stringify({ nodes: [{ host_name: 'web-01', groups: ['web'], port_mappings: [{ guest_port: 22, host_port: 22003 }] }] }));
    mkdirSync(join(dir, 'group_vars'));
    mkdirSync(join(dir, 'host_vars'));
    writeFileSync(join(dir, 'group_vars', 'web.yml'), 'http_port: 80\n');
    writeFileSync(join(dir, 'host_vars', 'web-01.yml'), 'ansible_user: deploy\n');
    const h = new Inventory().load(join(dir, 'cluster.json')).hosts.get('web-01')!;
    assert.equal([h.vars!.http_port, h.user, h.port], [80, 'deploy', 22003]);
  } finally { cleanup(); }
});

test.run();
