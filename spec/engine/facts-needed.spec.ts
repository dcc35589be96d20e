import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { totalmem } from 'node:os';
import { createProject } from '../../lib/dsl/project.js';
import { deployProject } from '../../lib/engine/deploy.js';
import { factGroupsNeeded } from '../../lib/engine/facts-needed.js';
import { FACT_GROUPS } from '../../lib/ops/fact-types.js';
import { buildPlan } from '../../lib/plan/build.js';
import type { HostPlan } from '../../lib/plan/types.js';
import type { EngineEvent } from '../../lib/report/events.js';
import { CountingTransport } from '../support/counting-transport.js';
import { tmpDir } from '../support/tmp.js';

const local = { transport: 'local' as const };

function hostPlan(build: (p: ReturnType<typeof createProject>) => void): HostPlan {
  const p = createProject();
  build(p);
  const { plan, problems } = buildPlan(p);
  assert.equal(problems.map((x) => x.message), []);
  return plan.hosts[0]!;
}

test('a plan without when or facts in templates gathers no extended group', () => {
  assert.equal(factGroupsNeeded(hostPlan((p) => p.host('h', local).shell('true').file('/tmp/x', { content: '{{facts.memory}}' }))), []);
});

test('a when anywhere on the host gathers every group: it cannot be looked into', () => {
  assert.equal(factGroupsNeeded(hostPlan((p) => p.host('h', local).shell('true').shell('true', { when: () => true }))), [...FACT_GROUPS]);
});

test('a when in a handler gathers every group too', () => {
  const h = hostPlan((p) => p.host('h', local).shell('true', { notify: 'x' }).handler('x', (t) => t.shell('true', { when: (f) => f.cpus > 1 })));
  assert.equal(factGroupsNeeded(h), [...FACT_GROUPS]);
});

test('until does not gather facts: it receives the attempt\'s result', () => {
  assert.equal(factGroupsNeeded(hostPlan((p) => p.host('h', local).shell('true', { until: (r) => r.stdout === '' }))), []);
});

test('a template gathers the groups it names as facts.<group>, and only those', () => {
  const h = hostPlan((p) => p.host('h', local)
    .template({ inline: '{{facts.hostname}} has {{facts.memory.totalMb}} MB\n' }, '/tmp/a')
    .template({ inline: '{{#facts.network.defaultIpv4}}{{address}}{{/facts.network.defaultIpv4}}\n' }, '/tmp/b'));
  assert.equal(factGroupsNeeded(h), ['memory', 'network']);
});

test('a template that opens a {{#facts}} section may read any group: all are gathered', () => {
  assert.equal(factGroupsNeeded(hostPlan((p) => p.host('h', local).template({ inline: '{{#facts}}{{memory.totalMb}}{{/facts}}\n' }, '/tmp/a'))), [...FACT_GROUPS]);
});

test('a template file and a systemdUnit template are read for the groups they name', () => {
  const tmp = tmpDir();
  try {
    writeFileSync(join(tmp.dir, 'a.mustache'), 'python={{facts.python.path}}\n');
    const h = hostPlan((p) => p.host('h', local)
      .template(join(tmp.dir, 'a.mustache'), '/tmp/a')
      .systemdUnit('x.service', { template: { inline: '[Service]\nExecStart=/bin/true {{facts.users.root.home}}\n' } }));
    assert.equal(factGroupsNeeded(h), ['users', 'python']);
  } finally {
    tmp.cleanup();
  }
});

test('templates that read records the host fills (packages, users) are valid plans: validation cannot know their keys', () => {
  hostPlan((p) => p.host('h', local).template({ inline: '{{facts.packages.nginx}} {{facts.users.www.home}} {{facts.network.interfaces.eth0.mac}}\n' }, '/tmp/a'));
});

/** Runs a project on counting local transports; the calls each host made. */
async function run(build: (p: ReturnType<typeof createProject>) => void) {
  const p = createProject();
  build(p);
  const events: EngineEvent[] = [];
  let transport: CountingTransport | undefined;
  const result = await deployProject(p, {
    argv: [], keepExitCode: true, reporter: (e) => events.push(e),
    connect: async (h) => (transport = new CountingTransport(h.name)),
  });
  const status = new Map(events.flatMap((e) => (e.type === 'task-end' ? [[e.task.name, e.result.status] as const] : [])));
  return { result, calls: transport!.calls, status };
}

test('a deploy without when reads the base facts only, in its one batched probe', async () => {
  const tmp = tmpDir();
  try {
    writeFileSync(join(tmp.dir, 'motd'), 'hi\n');
    const r = await run((p) => p.host('h', local).file(join(tmp.dir, 'motd'), { content: 'hi\n' }));
    assert.is(r.result.exitCode, 0);
    assert.is(r.calls.length, 1, 'one round trip');
    assert.not.match(r.calls[0]!.text, '/proc/meminfo');
    assert.not.match(r.calls[0]!.text, 'dpkg-query');
  } finally {
    tmp.cleanup();
  }
});

test('a deploy whose when reads memory and packages gathers them in the same one probe, and runs or skips by them', async () => {
  const tmp = tmpDir();
  try {
    const mb = Math.floor(totalmem() / 1024 / 1024);
    const rendered = join(tmp.dir, 'mem');
    writeFileSync(rendered, `${mb}\n`);
    writeFileSync(join(tmp.dir, 'ok'), 'x');
    const r = await run((p) => p.host('h', local)
      .file(join(tmp.dir, 'ok'), { content: 'x', name: 'enough memory', when: (f) => f.memory.totalMb > 0 })
      .file(join(tmp.dir, 'never'), { content: 'x', name: 'a petabyte of memory', when: (f) => f.memory.totalMb > 1e9 })
      .file(join(tmp.dir, 'never2'), { content: 'x', name: 'a package that is not there', when: (f) => 'no-such-package-here' in f.packages })
      .template({ inline: '{{facts.memory.totalMb}}\n' }, rendered, { name: 'memory in a template' }));
    assert.is(r.result.exitCode, 0);
    assert.is(r.calls.length, 1, `one round trip: ${r.calls.map((c) => c.text.slice(0, 60)).join(' | ')}`);
    assert.match(r.calls[0]!.text, 'echo @@memory');
    assert.match(r.calls[0]!.text, 'echo @@packages');
    assert.equal(Object.fromEntries(r.status), {
      'enough memory': 'ok', 'a petabyte of memory': 'skipped', 'a package that is not there': 'skipped', 'memory in a template': 'ok',
    });
    assert.is(readFileSync(rendered, 'utf8'), `${mb}\n`);
  } finally {
    tmp.cleanup();
  }
});

test('a deploy whose only template names facts.memory gathers memory and nothing else', async () => {
  const tmp = tmpDir();
  try {
    const r = await run((p) => p.host('h', local).template({ inline: '{{facts.memory.totalMb}}\n' }, join(tmp.dir, 'm')));
    assert.is(r.result.exitCode, 0);
    assert.match(r.calls[0]!.text, 'echo @@memory');
    for (const g of FACT_GROUPS.filter((x) => x !== 'memory')) assert.not.match(r.calls[0]!.text, `echo @@${g}\n`);
    assert.is(readFileSync(join(tmp.dir, 'm'), 'utf8'), `${Math.floor(totalmem() / 1024 / 1024)}\n`);
  } finally {
    tmp.cleanup();
  }
});

test.run();
