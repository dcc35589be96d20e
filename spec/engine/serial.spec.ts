// Rolling deploys: --serial batch sizes, --max-fail-percent, and how batches run (on local
// counting transports; the availability proof on lab hosts is spec/e2e/rolling-deploy.spec.ts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createProject } from '../../lib/dsl/project.js';
import { deployProject, parseDeployArgs, type DeployOptions } from '../../lib/engine/deploy.js';
import { batchesOf, parseMaxFailPercent, parseSerial, stopsRollout } from '../../lib/engine/serial.js';
import type { HostPlan } from '../../lib/plan/types.js';
import type { EngineEvent } from '../../lib/report/events.js';
import { plainReporter } from '../../lib/report/plain.js';
import { CountingTransport } from '../support/counting-transport.js';
import { tmpDir } from '../support/tmp.js';

const local = { transport: 'local' as const };

async function run(p: ReturnType<typeof createProject>, o: DeployOptions = {}) {
  const events: EngineEvent[] = [];
  const connected: string[] = [];
  const result = await deployProject(p, {
    argv: [], keepExitCode: true, reporter: (e) => events.push(e),
    connect: async (h: HostPlan) => { connected.push(h.name); return new CountingTransport(h.name); },
    ...o,
  });
  return { result, events, connected };
}

const hosts = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'];

for (const [input, sizes] of [
  ['1', [1]], ['25%', ['25%']], ['1,5,25%', [1, 5, '25%']], [' 2 , 50% ', [2, '50%']], ['100%', ['100%']],
] as const) {
  test(`--serial ${JSON.stringify(input)} reads as ${JSON.stringify(sizes)}`, () => {
    assert.equal(parseSerial(input), sizes);
  });
}

for (const bad of ['0', '0%', '101%', 'one', '1,,2', '-1', '1.5', '']) {
  test(`--serial ${JSON.stringify(bad)} is an error that names the value`, () => {
    assert.throws(() => parseSerial(bad), (e: Error) => e.message.includes(`--serial ${JSON.stringify(bad.split(',').find((s) => !/^\s*[1-9]\d*%?\s*$/.test(s))?.trim() ?? bad)}`));
  });
}

for (const [sizes, expected] of [
  [[1], [['a'], ['b'], ['c'], ['d'], ['e'], ['f'], ['g'], ['h'], ['i'], ['j']]],
  [[4], [['a', 'b', 'c', 'd'], ['e', 'f', 'g', 'h'], ['i', 'j']]],
  // A share is of all hosts, rounded down, at least one; the last size repeats.
  [['25%'], [['a', 'b'], ['c', 'd'], ['e', 'f'], ['g', 'h'], ['i', 'j']]],
  [['5%'], hosts.map((h) => [h])],
  [[1, 3, '50%'], [['a'], ['b', 'c', 'd'], ['e', 'f', 'g', 'h', 'i'], ['j']]],
  [['100%'], [hosts]],
  [[20], [hosts]],
] as const) {
  test(`batches of ${JSON.stringify(sizes)} over 10 hosts are ${expected.map((b) => b.length).join('+')}`, () => {
    assert.equal(batchesOf(hosts, sizes as never), expected);
  });
}

for (const [failed, size, max, stops] of [
  [0, 1, undefined, false], [1, 1, undefined, true], [1, 2, undefined, false], [2, 2, undefined, true],
  [1, 4, 25, false], [2, 4, 25, true], [1, 10, 0, true], [0, 10, 0, false], [4, 4, 100, false],
] as const) {
  test(`${failed} of ${size} hosts failed with max-fail-percent ${max ?? 'unset'} ${stops ? 'stops' : 'does not stop'} the rollout`, () => {
    assert.is(stopsRollout(failed, size, max), stops);
  });
}

test('--max-fail-percent takes 0 to 100 and names a bad value', () => {
  assert.is(parseMaxFailPercent('0'), 0);
  assert.is(parseMaxFailPercent('12.5'), 12.5);
  for (const bad of ['101', '-1', 'ten', '']) assert.throws(() => parseMaxFailPercent(bad), (e: Error) => e.message.includes(JSON.stringify(bad)));
});

test('the command line takes --serial and --max-fail-percent', () => {
  const o = parseDeployArgs(['--serial', '1,25%', '--max-fail-percent', '10']);
  assert.equal(o.serial, [1, '25%']);
  assert.is(o.maxFailPercent, 10);
  assert.throws(() => parseDeployArgs(['--serial', 'all']), /--serial "all" is not a batch size/);
});

test('a batch starts only when every host of the previous one finished, handlers included', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    const log = join(dir, 'log');
    const q = createProject();
    for (const h of ['h1', 'h2', 'h3', 'h4']) {
      q.host(h, local).shell(`echo "${h} start" >> ${log}; sleep 0.1`, { name: 'work', notify: 'done' })
        .handler('done', (hd) => hd.shell(`sleep 0.1; echo "${h} handler" >> ${log}`));
    }
    const { result, events } = await run(q, { serial: [2], forks: 10 });
    assert.ok(result.ok, JSON.stringify(result));
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    const at = (l: string) => lines.indexOf(l);
    // Both handlers of batch 1 are written before any task of batch 2 starts.
    assert.ok(Math.max(at('h1 handler'), at('h2 handler')) < Math.min(at('h3 start'), at('h4 start')), lines.join('\n'));
    const batches = events.filter((e) => e.type === 'batch-start').map((e) => (e as { hosts: string[] }).hosts);
    assert.equal(batches, [['h1', 'h2'], ['h3', 'h4']]);
  } finally {
    cleanup();
  }
});

test('a failed batch stops the rollout: the rest is reported as not started and never contacted', async () => {
  const p = createProject();
  for (const h of ['w1', 'w2', 'w3', 'w4']) p.host(h, local);
  p.host('w1').shell('true', { name: 'deploy' });
  p.host('w2').shell('exit 3', { name: 'deploy' });
  p.host('w3').shell('true', { name: 'deploy' });
  p.host('w4').shell('true', { name: 'deploy' });
  const lines: string[] = [];
  const { result, events, connected } = await run(p, { serial: [1], listeners: [plainReporter({ write: (s) => lines.push(s) })] });
  assert.is(result.ok, false);
  assert.is(result.exitCode, 2);
  assert.equal(connected, ['w1', 'w2']);
  assert.equal(result.notStarted, ['w3', 'w4']);
  const stop = events.find((e) => e.type === 'rollout-stopped') as Extract<EngineEvent, { type: 'rollout-stopped' }>;
  assert.equal(stop.failed, ['w2']);
  assert.is(stop.batch, 2);
  const text = lines.join('');
  assert.match(text, /rollout stopped: every host of batch 2 failed \(1 of 1 host\); not started: w3, w4/);
  assert.match(text, /w3 +: not started \(the rollout stopped\)/);
  assert.match(text, /w1 +: ok=1 /);
});

test('--max-fail-percent lets a batch fail up to that share and stops past it', async () => {
  const p = createProject();
  const names = ['m1', 'm2', 'm3', 'm4', 'm5', 'm6'];
  for (const h of names) p.host(h, local).shell(h === 'm2' || h === 'm3' || h === 'm4' ? 'exit 1' : 'true', { name: 'deploy' });
  // Batches m1 m2 | m3 m4 | m5 m6: batch 1 fails 50% (allowed at 50), batch 2 fails 100%.
  const { result, connected } = await run(p, { serial: [2], maxFailPercent: 50 });
  assert.equal(connected.sort(), ['m1', 'm2', 'm3', 'm4']);
  assert.equal(result.notStarted, ['m5', 'm6']);
  const lenient = await run(p, { serial: [2], maxFailPercent: 100 });
  assert.equal(lenient.connected.sort(), names);
  assert.is(lenient.result.notStarted, undefined);
});

test('after() orders targets within a batch and does not wait for hosts of other batches', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    const log = join(dir, 'log');
    const p = createProject();
    for (const h of ['db1', 'web1', 'db2', 'web2']) p.host(h, local);
    const db = p.group('db', ['db1', 'db2']).shell(`sleep 0.2; echo "$(printf db) done" >> ${log}`, { name: 'migrate' });
    p.group('web', ['web1', 'web2']).after(db).shell(`echo web >> ${log}`, { name: 'serve' });
    // Batches: db1 web1 | db2 web2 — web1 waits for db1 only, not for db2 (a later batch).
    const { result, events } = await run(p, { serial: [2] });
    assert.ok(result.ok);
    assert.equal(readFileSync(log, 'utf8').trim().split('\n'), ['db done', 'web', 'db done', 'web']);
    assert.equal(events.filter((e) => e.type === 'batch-start').map((e) => (e as { hosts: string[] }).hosts), [['db1', 'web1'], ['db2', 'web2']]);
  } finally {
    cleanup();
  }
});

test('--max-fail-percent without --serial and a bad serial option are plan errors: nothing is contacted', async () => {
  const p = createProject();
  p.host('x', local).shell('true');
  const a = await run(p, { maxFailPercent: 10 });
  assert.is(a.result.exitCode, 4);
  assert.match(a.result.problems![0]!.message, /needs --serial/);
  const b = await run(p, { serial: [0] });
  assert.is(b.result.exitCode, 4);
  assert.match(b.result.problems![0]!.message, /--serial "0" is not a batch size/);
  assert.equal([...a.connected, ...b.connected], []);
});

test.run();
