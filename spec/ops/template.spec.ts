import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { parseContentProbe, sha256 } from '../../lib/ops/content.js';
import { templateOp, templateVariables, type TemplateArgs } from '../../lib/ops/template.js';
import { secret } from '../../lib/secret.js';
import { opTable, probedFile } from '../support/op-harness.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const appVars = { port: 5000, workers: 3, users: [{ name: 'ann', email: 'ann@example.org' }], debug: false };
const rendered = "# web-01 (debian 12)\nbind = '0.0.0.0:5000'\nworkers = 3\nuser ann <ann@example.org>\nloglevel = 'info'\n";

opTable<TemplateArgs>(templateOp, [
  {
    name: 'renders a template with vars and facts and uploads it',
    args: { src: 'templates/app.conf.mustache', dest: '/etc/app.conf', vars: appVars, mode: 0o640 },
    probed: probedFile('absent'),
    expect: {
      probe: ['sha256sum < /etc/app.conf'],
      changes: [{ what: 'content', before: 'absent', content: { path: '/etc/app.conf', before: '', after: rendered, secret: false } }],
      actions: [{ kind: 'put', path: '/etc/app.conf', data: rendered, mode: 0o640 }],
    },
  },
  {
    name: 'does nothing when the rendered content is already there',
    args: { src: 'templates/app.conf.mustache', dest: '/etc/app.conf', vars: appVars },
    probed: probedFile('file 644 root root 0 0', rendered),
    expect: { changes: [], noop: '/etc/app.conf has the rendered content, owner and mode' },
  },
  {
    name: 'shows the old and new text for --diff',
    args: { src: { inline: 'port={{port}}\n' }, dest: '/etc/app.conf', vars: { port: 5001 } },
    probed: probedFile('file 644 root root 0 0', 'port=5000\n'),
    expect: { changes: [{ what: 'content', content: { path: '/etc/app.conf', before: 'port=5000\n', after: 'port=5001\n' } }], actions: [{ kind: 'put', data: 'port=5001\n', mode: 0o644, owner: '0', group: '0' }] },
  },
  {
    name: 'does not HTML-escape values',
    args: { src: { inline: "proxy_set_header X {{header}};\n" }, dest: '/etc/nginx/x.conf', vars: { header: `"<$host>" & 'co'` } },
    probed: probedFile('absent'),
    expect: { changes: [{ what: 'content' }], actions: [{ kind: 'put', data: `proxy_set_header X "<$host>" & 'co';\n` }] },
  },
  {
    name: 'takes host variables from the inventory, overridden by vars',
    args: { src: { inline: '{{app}} on {{port}}\n' }, dest: '/etc/x', vars: { port: 8000 } },
    vars: { app: 'webapp', port: 5000 },
    facts: { vars: { app: 'webapp', port: 5000 } },
    probed: probedFile('absent'),
    expect: { changes: [{ what: 'content' }], actions: [{ kind: 'put', data: 'webapp on 8000\n' }] },
  },
  {
    name: 'reveals secret variables into the file but marks the diff secret',
    args: { src: { inline: 'password={{pw}}\n' }, dest: '/etc/app/db.conf', vars: { pw: secret('hunter2-db') }, mode: 0o600 },
    probed: probedFile('absent'),
    expect: { changes: [{ what: 'content', content: { path: '/etc/app/db.conf', before: '', after: 'password=hunter2-db\n', secret: true } }], actions: [{ kind: 'put', data: 'password=hunter2-db\n', mode: 0o600 }] },
  },
  {
    name: 'fails at run time when a host variable validation saw is gone from the facts',
    args: { src: { inline: '{{region}}\n' }, dest: '/etc/x' },
    vars: { region: 'eu' },
    facts: { vars: {} },
    probed: probedFile('absent'),
    expect: { throws: /template inline template uses \{\{region\}\} \(line 1\), which no variable gives/ },
  },
  // validation
  {
    name: 'names every missing variable with its line',
    args: { src: 'templates/broken.mustache', dest: '/etc/nginx/app.conf', vars: { port: 80, server: {} } },
    expect: { problems: ["template templates/broken.mustache uses {{server.name}} (line 2), {{missing_root}} (line 3), which no variable gives: add them to vars or to the host's inventory variables"] },
  },
  {
    name: 'checks names inside a section against each item and the root',
    args: { src: { inline: '{{#users}}{{name}} <{{email}}> {{domain}}\n{{/users}}' }, dest: '/etc/x', vars: { users: [{ name: 'a', email: 'a@x' }, { name: 'b' }], domain: 'x' } },
    expect: { problems: ["template inline template uses {{email}} (line 1), which no variable gives: add it to vars or to the host's inventory variables"] },
  },
  {
    name: 'accepts a section over an object and a dotted name into it',
    args: { src: { inline: '{{#db}}{{host}}:{{port}}{{/db}} {{db.host}}' }, dest: '/etc/x', vars: { db: { host: 'h', port: 5432 } } },
    expect: { problems: [] },
  },
  {
    name: 'requires the variable of an inverted section',
    args: { src: { inline: '{{^debug}}quiet{{/debug}}' }, dest: '/etc/x' },
    expect: { problems: [/uses \{\{debug\}\} \(line 1\)/] },
  },
  {
    name: 'accepts facts but catches a misspelt fact',
    args: { src: { inline: '{{facts.hostname}} {{facts.os.codename}}\n{{facts.hostnme}}' }, dest: '/etc/x' },
    expect: { problems: [/uses \{\{facts.hostnme\}\} \(line 2\)/] },
  },
  {
    name: 'takes host variables into account when validating',
    args: { src: { inline: '{{port}}' }, dest: '/etc/x' },
    vars: { port: 5000 },
    expect: { problems: [] },
  },
  { name: 'rejects a template that does not parse', args: { src: 'templates/unclosed.mustache', dest: '/etc/x' }, expect: { problems: ['template templates/unclosed.mustache does not parse: Unclosed section "open" at 14'] } },
  { name: 'rejects a missing template file', args: { src: 'templates/nope.mustache', dest: '/etc/x' }, expect: { problems: [/^template "templates\/nope.mustache" does not exist \(looked in .*fixtures\/templates\/nope.mustache\)$/] } },
  { name: 'rejects partials', args: { src: { inline: '{{> header}}' }, dest: '/etc/x' }, expect: { problems: ['template inline template uses a partial ({{> name}}), which shipshape does not support'] } },
  { name: 'rejects a relative dest and a bad mode', args: { src: { inline: 'x' }, dest: 'etc/x', mode: '888' }, expect: { problems: [/^mode "888" is not a valid mode/, 'dest "etc/x" must be an absolute path'] } },
], { baseDir: fixtures });

test('templateVariables lists values, sections and dotted names in order of use', () => {
  assert.equal(templateVariables('{{#users}}{{name}} {{.}}{{/users}} on {{facts.hostname}} {{^debug}}{{&raw}}{{{tri}}}{{/debug}}{{name}}'),
    ['users', 'name', 'facts.hostname', 'debug', 'raw', 'tri']);
});

test('templateVariables follows changed delimiters', () => {
  assert.equal(templateVariables('{{=<% %>=}}<% port %> {{not}}'), ['port']);
});

test('with the host\'s variables, a template that uses no facts and no secret sends its checksum: an unchanged file sends no content back', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ss-template-probe-'));
  try {
    const dest = join(dir, 'app.conf');
    writeFileSync(dest, 'port=5000 workers=3\n');
    const args: TemplateArgs = { src: { inline: 'port={{port}} workers={{workers}}\n' }, dest, vars: { workers: 3 } };
    const script = templateOp.probe(args, { baseDir: dir, vars: { port: 5000 } })!;
    assert.match(script, sha256('port=5000 workers=3\n'), 'host variables and vars together');
    const same = parseContentProbe(execFileSync('/bin/sh', ['-c', script], { encoding: 'utf8' }));
    assert.is(same.sha256, sha256('port=5000 workers=3\n'));
    assert.is(same.content, undefined, 'no content back');
    const other = parseContentProbe(execFileSync('/bin/sh', ['-c', templateOp.probe(args, { baseDir: dir, vars: { port: 6000 } })!], { encoding: 'utf8' }));
    assert.is(other.content?.toString(), 'port=5000 workers=3\n', 'a file that differs comes back, for --diff');
    const noSha = (a: TemplateArgs, vars?: Record<string, unknown>) => !/[0-9a-f]{64}/.test(templateOp.probe(a, { baseDir: dir, vars })!);
    assert.ok(noSha(args), 'without the host variables (a single op run), no checksum');
    assert.ok(noSha({ ...args, src: { inline: 'host={{facts.hostname}}\n' } }, {}), 'facts are known only once the host answered');
    assert.ok(noSha({ ...args, src: { inline: '{{#facts}}{{hostname}}{{/facts}}\n' } }, {}));
    assert.ok(noSha(args, { port: secret('5000') }), 'never the checksum of a secret');
    assert.ok(noSha({ ...args, secret: true }, { port: 5000 }));
    assert.ok(noSha({ ...args, src: { inline: '{{missing}}\n' } }, {}), 'a missing variable is the diff\'s to report');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
