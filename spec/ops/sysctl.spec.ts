import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createProject } from '../../lib/dsl/project.js';
import { normalValue, sysctlFile, sysctlOp, sysctlPath, type SysctlArgs } from '../../lib/ops/sysctl.js';
import { buildPlan } from '../../lib/plan/build.js';
import { opTable, probedFile, sections } from '../support/op-harness.js';

const M = '::shipshape::';
/** Probe output: the /proc/sys value (status line, then the value), the persisted file, /etc/sysctl.d. */
const probed = (now: string, file = probedFile('absent'), dir = 'directory 755 root root 0 0') => sections(`${M}now\n${now}${M}file\n${file}${M}dir\n${dir}\n`);
const CONF = '/etc/sysctl.d/99-shipshape-net.core.somaxconn.conf';
const TEXT = '# managed by shipshape\nnet.core.somaxconn = 1024\n';
const SOMAXCONN: SysctlArgs = { key: 'net.core.somaxconn', value: '1024' };

opTable<SysctlArgs>(sysctlOp, [
  {
    name: 'sets the value now and persists it in its own file',
    args: SOMAXCONN,
    probed: probed('ok\n4096\n'),
    expect: {
      probe: ['cat /proc/sys/net/core/somaxconn', `sha256sum < ${CONF}`],
      changes: [{ what: 'value', before: '4096', after: '1024' }, { what: 'content', before: 'absent', content: { path: CONF, before: '', after: TEXT } }],
      actions: [
        { kind: 'exec', command: "printf '%s\\n' 1024 > /proc/sys/net/core/somaxconn" },
        { kind: 'put', path: CONF, data: TEXT, mode: 0o644, owner: 'root', group: 'root' },
      ],
    },
  },
  {
    name: 'does nothing when the value is set and persisted',
    args: SOMAXCONN,
    probed: probed('ok\n1024\n', probedFile('file 644 root root 0 0', TEXT)),
    expect: { changes: [], noop: `net.core.somaxconn is 1024 and persisted in ${CONF}` },
  },
  {
    name: 'compares multi-value keys with whitespace normalised (the kernel prints a tab)',
    args: { key: 'net.ipv4.ip_local_port_range', value: '32768  60999', persist: false },
    probed: sections(`${M}now\nok\n32768\t60999\n`),
    expect: { probe: ['cat /proc/sys/net/ipv4/ip_local_port_range'], changes: [], noop: 'net.ipv4.ip_local_port_range is 32768 60999' },
  },
  {
    name: 'persist false only sets the value now',
    args: { key: 'net.ipv4.ip_forward', value: '1', persist: false },
    probed: sections(`${M}now\nok\n0\n`),
    expect: { changes: [{ what: 'value', before: '0', after: '1' }], actions: [{ kind: 'exec', command: "printf '%s\\n' 1 > /proc/sys/net/ipv4/ip_forward" }] },
  },
  {
    name: 'writes only the file when the value is already set',
    args: SOMAXCONN,
    probed: probed('ok\n1024\n', probedFile('file 644 root root 0 0', 'net.core.somaxconn = 512\n')),
    expect: { changes: [{ what: 'content', content: { before: 'net.core.somaxconn = 512\n', after: TEXT } }], actions: [{ kind: 'put', path: CONF }] },
  },
  {
    name: 'creates /etc/sysctl.d when it is missing',
    args: SOMAXCONN,
    probed: probed('ok\n1024\n', probedFile('absent'), 'absent'),
    expect: { changes: [{ what: 'content' }], actions: [{ kind: 'exec', command: 'mkdir -p -m 0755 -- /etc/sysctl.d' }, { kind: 'put', path: CONF }] },
  },
  {
    name: 'a slashed key with a dotted interface name reads that path and names the file with dots',
    args: { key: 'net/ipv4/conf/eth0.100/forwarding', value: '1' },
    probed: probed('ok\n1\n', probedFile('absent')),
    expect: {
      probe: ['cat /proc/sys/net/ipv4/conf/eth0.100/forwarding', 'sha256sum < /etc/sysctl.d/99-shipshape-net.ipv4.conf.eth0.100.forwarding.conf'],
      changes: [{ what: 'content', content: { after: '# managed by shipshape\nnet/ipv4/conf/eth0.100/forwarding = 1\n' } }],
    },
  },
  {
    name: 'check mode reports the change and runs nothing',
    args: SOMAXCONN, check: true,
    probed: probed('ok\n4096\n'),
    expect: { changes: [{ what: 'value' }, { what: 'content' }], actions: [] },
  },
  { name: 'rejects a key with a space', args: { key: 'net.core somaxconn', value: '1' }, expect: { problems: [/^key "net.core somaxconn" must be a kernel parameter like net.ipv4.ip_forward/] } },
  { name: 'rejects a doubled separator', args: { key: 'net..core', value: '1' }, expect: { problems: [/^key "net..core" must be/] } },
  { name: 'rejects a path that climbs out of /proc/sys', args: { key: '../../etc/passwd', value: '1' }, expect: { problems: [/^key "..\/..\/etc\/passwd" must be/] } },
  { name: 'rejects a leading slash', args: { key: '/proc/sys/net/x', value: '1' }, expect: { problems: [/^key "\/proc\/sys\/net\/x" must be/] } },
  { name: 'rejects a multi-line value', args: { key: 'net.core.somaxconn', value: '1\n2' }, expect: { problems: ['value "1\\n2" must be one line (no newline)'] } },
  { name: 'rejects an empty value', args: { key: 'net.core.somaxconn', value: ' ' }, expect: { problems: ['value " " must be a non-empty string or a number'] } },
]);

test('sysctl: an unknown key fails naming the host and the key, and would fail in check mode', async () => {
  const args = { key: 'net.core.no_such_thing', value: '1' };
  const ctx = { host: 'web-01', facts: {} as never, baseDir: '.', check: false };
  const d = await sysctlOp.diff(args, { stdout: probed('missing\n'), code: 0 }, ctx);
  assert.is(d.fails, 'sysctl key net.core.no_such_thing does not exist on web-01 (no /proc/sys/net/core/no_such_thing)');
  assert.ok(d.changes.length > 0, 'so the engine reports it (would fail in check mode, fails before any action otherwise)');
  const u = await sysctlOp.diff(args, { stdout: probed('unreadable\ncat: Permission denied\n'), code: 0 }, ctx);
  assert.match(u.fails!, /cannot be read on web-01: cat: Permission denied/);
});

test('sysctl: a dotted key swaps dots and slashes, as sysctl(8) does', () => {
  assert.is(sysctlPath('net.ipv4.ip_forward'), 'net/ipv4/ip_forward');
  assert.is(sysctlPath('net.ipv4.conf.eth0/100.forwarding'), 'net/ipv4/conf/eth0.100/forwarding');
  assert.is(sysctlPath('net/ipv4/conf/eth0.100/forwarding'), 'net/ipv4/conf/eth0.100/forwarding');
  assert.is(sysctlFile('net.ipv4.ip_forward'), '/etc/sysctl.d/99-shipshape-net.ipv4.ip_forward.conf');
});

test('sysctl: values compare by words, integers by value', () => {
  assert.is(normalValue('32768\t60999\n'), '32768 60999');
  assert.is(normalValue(' 01 '), '1');
  assert.is(normalValue('+5 cubic'), '5 cubic');
});

test('bad input is a plan problem naming the host, the task and the value, before any connection', () => {
  const p = createProject();
  p.host('web-01').sysctl('net.core somaxconn', 1024, { name: 'the task' });
  const found = buildPlan(p).problems;
  assert.is(found.length, 1, JSON.stringify(found));
  assert.is(found[0]!.host, 'web-01');
  assert.is(found[0]!.task, 'the task');
  assert.match(found[0]!.message, 'key "net.core somaxconn"');
  assert.ok(found[0]!.callSite?.file.endsWith('.spec.ts'), 'points at the line of the call');
});

test.run();
