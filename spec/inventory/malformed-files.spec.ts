// Malformed INI and YAML inventories and vars files: one error naming the file and the line,
// with the fix, and nothing added.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ShipshapeError } from '../../lib/errors.js';
import { Inventory } from '../../lib/inventory/inventory.js';
import { tmpDir } from '../support/tmp.js';

const { dir, cleanup } = tmpDir('shipshape-bad-inventories-');
process.on('exit', cleanup);

interface Case {
  name: string;
  /** Files by path in the case's folder; the first is loaded. */
  files: Record<string, string>;
  /** The message after `<folder>/`: the file, line, and what is wrong. */
  error: string;
  fix: RegExp;
}

const CASES: Case[] = [
  { name: 'a host variable without a value', files: { 'hosts.ini': '[web]\nweb-01 ansible_port\n' }, error: 'hosts.ini:2: host web-01: expected key=value host variable assignment, got "ansible_port"', fix: /\[group\] sections of host lines/ },
  { name: 'an unclosed quote', files: { hosts: '[web]\n\nweb-01 motd="hello\n' }, error: 'hosts:3: host line "web-01 motd=\\"hello": the quote " is not closed', fix: /host lines/ },
  { name: 'a section of an unknown type', files: { 'hosts.cfg': '# x\n[web:child]\nw1\n' }, error: 'hosts.cfg:2: section [web:child] has an unknown type: child (a section is [web], [web:vars] or [web:children])', fix: /:children\] sections/ },
  { name: 'a section name with a space', files: { hosts: '[web servers]\nw1\n' }, error: 'hosts:1: [web servers] is not a section', fix: /sections/ },
  { name: 'a vars line without =', files: { hosts: '[web]\nw1\n[web:vars]\nhttp_port 80\n' }, error: 'hosts:4: [web:vars] expects name=value, got "http_port 80"', fix: /name=value/ },
  { name: 'vars of a group never declared', files: { hosts: '[web]\nw1\n[wbe:vars]\nx=1\n' }, error: 'hosts:3: section [wbe:vars] is for a group that no [wbe] or [wbe:children] section declares', fix: /sections/ },
  { name: 'a child group never declared', files: { hosts: '[prod:children]\nweb\n' }, error: 'hosts:2: section [prod:children] names the group "web", which no [web] or [web:children] section declares', fix: /sections/ },
  { name: 'a bad range', files: { hosts: '[web]\nweb[01:1].example.org\n' }, error: 'hosts:2: host "web[01:1].example.org": the range [01:1] must give begin and end with the same number of digits', fix: /host lines/ },
  { name: 'a YAML file without .yml', files: { hosts: 'all:\n  hosts:\n    w1:\n' }, error: 'hosts:1: "all:" is not a host: this looks like YAML; name the file hosts.yml (or .yaml) to read it as a YAML inventory', fix: /sections/ },
  { name: 'several problems at once', files: { hosts: '[web]\nw1 x\n[web:bad]\n' }, error: 'hosts:2: host w1: expected key=value host variable assignment, got "x"; line 3: section [web:bad] has an unknown type', fix: /sections/ },
  { name: 'a group inside itself', files: { hosts: '[a:children]\nb\n[b:children]\na\n' }, error: 'hosts: group "a" is inside itself (a > b > a): remove one of these children', fix: /fix the inventory/ },
  { name: 'YAML indented wrong', files: { 'hosts.yml': 'all:\n  hosts:\n    a:\n   b: 1\n' }, error: 'hosts.yml:3:7: All mapping items must start at the same column', fix: /fix the YAML on that line/ },
  { name: 'YAML with a tab', files: { 'hosts.yaml': 'all:\n\thosts:\n' }, error: 'hosts.yaml:2:1:', fix: /indent with spaces/ },
  { name: 'a misspelled YAML group key', files: { 'hosts.yml': 'all:\n  children:\n    web:\n      hostz:\n        a:\n' }, error: 'hosts.yml: line 4: all.children.web.hostz is not part of a group (did you mean hosts?)', fix: /YAML inventory looks like/ },
  { name: 'YAML host variables as a list', files: { 'hosts.yml': 'web:\n  hosts:\n    w1:\n      - x\n' }, error: 'hosts.yml: line 3: web.hosts.w1 must be an object of host variables (or null) (got ["x"])', fix: /YAML inventory/ },
  { name: 'a bad range in a YAML host key', files: { 'hosts.yml': 'web:\n  hosts:\n    "w[3:1]":\n' }, error: 'hosts.yml: line 3: web.hosts["w[3:1]"] host "w[3:1]": the range [3:1] begins after its end', fix: /YAML/ },
  { name: 'a bad port in group vars', files: { hosts: '[web]\nw1\n[web:vars]\nansible_port=ssh\n' }, error: 'hosts: ansible_port of host "w1" must be a port', fix: /fix the inventory/ },
  { name: 'a group_vars file that is a list', files: { hosts: '[web]\nw1\n', 'group_vars/web.yml': '- http_port: 80\n' }, error: 'group_vars/web.yml: the file must hold variables, a mapping of name: value (got a list)', fix: /one variable a line/ },
  { name: 'a host_vars file with a YAML error', files: { hosts: '[web]\nw1\n', 'host_vars/w1.yml': 'a: 1\na: 2\n' }, error: 'host_vars/w1.yml:2:1: Map keys must be unique', fix: /fix the YAML/ },
];

for (const c of CASES) {
  test(`${c.name} is one error naming the file and the line, with the fix`, () => {
    const folder = join(dir, c.name.replace(/[^a-z0-9]+/gi, '-'));
    for (const [rel, text] of Object.entries(c.files)) {
      mkdirSync(dirname(join(folder, rel)), { recursive: true });
      writeFileSync(join(folder, rel), text);
    }
    const problems: string[] = [];
    const inv = new Inventory((m) => problems.push(m));
    inv.load(join(folder, Object.keys(c.files)[0]!));
    assert.is(problems.length, 1, JSON.stringify(problems));
    assert.ok(problems[0]!.startsWith(`${folder}/${c.error}`), `got:  ${problems[0]}\nwant: ${folder}/${c.error}`);
    assert.not.match(problems[0]!, '\n', 'one paragraph');
    assert.is(inv.hosts.size, 0);
    // Thrown without a problem callback: the fix is its own field, shown by explain().
    try {
      new Inventory().load(join(folder, Object.keys(c.files)[0]!));
      assert.unreachable('it must throw');
    } catch (e) {
      assert.instance(e, ShipshapeError);
      assert.match((e as ShipshapeError).fix ?? '', c.fix);
    }
  });
}

test.run();
