import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createProject } from '../../lib/dsl/project.js';
import { cronFile, cronOp, scheduleProblem, type CronArgs } from '../../lib/ops/cron.js';
import { buildPlan } from '../../lib/plan/build.js';
import { opTable, probedFile, sections } from '../support/op-harness.js';

const M = '::shipshape::';
/** Probe output: the job file (a contentProbe's lines) and the stat of /etc/cron.d. */
const probed = (file: string, dir = 'directory 755 root root 0 0') => sections(`${M}file\n${file}${M}dir\n${dir}\n`);
const JOB: CronArgs = { name: 'backup', schedule: '0 3 * * *', command: '/usr/local/bin/backup --all', user: 'vagrant' };
const TEXT = '# managed by shipshape: backup\n0 3 * * * vagrant /usr/local/bin/backup --all\n';

opTable<CronArgs>(cronOp, [
  {
    name: 'writes a new job file, root 0644, with a header naming the job',
    args: JOB,
    probed: probed(probedFile('absent')),
    expect: {
      probe: ["stat -c '%F %a %U %G %u %g' /etc/cron.d/backup", 'sha256sum < /etc/cron.d/backup'],
      changes: [{ what: 'content', before: 'absent', content: { path: '/etc/cron.d/backup', before: '', after: TEXT } }],
      actions: [{ kind: 'put', path: '/etc/cron.d/backup', data: TEXT, mode: 0o644, owner: 'root', group: 'root' }],
    },
  },
  { name: 'does nothing when the file holds the job', args: JOB, probed: probed(probedFile('file 644 root root 0 0', TEXT)), expect: { changes: [], noop: '/etc/cron.d/backup holds the job' } },
  {
    name: 'rewrites a changed schedule, showing the old content for --diff',
    args: { ...JOB, schedule: '30 4 * * 1-5' },
    probed: probed(probedFile('file 644 root root 0 0', TEXT)),
    expect: {
      changes: [{ what: 'content', content: { before: TEXT, after: TEXT.replace('0 3 * * *', '30 4 * * 1-5') } }],
      actions: [{ kind: 'put', path: '/etc/cron.d/backup', mode: 0o644, owner: 'root', group: 'root' }],
    },
  },
  {
    name: 'fixes a group-writable file cron would skip, without rewriting it',
    args: JOB,
    probed: probed(probedFile('file 664 root root 0 0', TEXT)),
    expect: { changes: [{ what: 'mode', before: '0664', after: '0644' }], actions: [{ kind: 'exec', command: 'chmod 0644 -- /etc/cron.d/backup' }] },
  },
  {
    name: 'creates /etc/cron.d when cron is not installed yet',
    args: { name: 'tick', schedule: '@hourly', command: 'true' },
    probed: probed(probedFile('absent'), 'absent'),
    expect: {
      changes: [{ what: 'content', content: { after: '# managed by shipshape: tick\n@hourly root true\n' } }],
      actions: [{ kind: 'exec', command: 'mkdir -p -m 0755 -- /etc/cron.d' }, { kind: 'put', path: '/etc/cron.d/tick' }],
    },
  },
  {
    name: 'check mode reports the new file and runs nothing',
    args: JOB, check: true,
    probed: probed(probedFile('absent')),
    expect: { changes: [{ what: 'content' }], actions: [] },
  },
  { name: 'a directory at the path is an error', args: JOB, probed: probed(probedFile('directory 755 root root 0 0')), expect: { throws: /\/etc\/cron.d\/backup exists as a directory, not a file/ } },
  {
    name: 'state absent removes the file',
    args: { name: 'backup', state: 'absent' },
    probed: probed(probedFile('file 644 root root 0 0', TEXT)),
    expect: { changes: [{ what: 'state', before: 'file', after: 'absent' }], actions: [{ kind: 'exec', command: 'rm -f -- /etc/cron.d/backup' }] },
  },
  { name: 'state absent does nothing when the file is gone', args: { name: 'backup', state: 'absent' }, probed: probed(probedFile('absent')), expect: { changes: [], noop: '/etc/cron.d/backup does not exist' } },
  { name: 'rejects a name with a dot, which cron would skip', args: { ...JOB, name: 'backup.cron' }, expect: { problems: [/^name "backup.cron" must be letters, digits, _ and - only: cron skips files/] } },
  { name: 'rejects a name with a slash', args: { ...JOB, name: '../passwd' }, expect: { problems: [/^name "..\/passwd" must be/] } },
  { name: 'rejects a multi-line command', args: { ...JOB, command: 'a\nb' }, expect: { problems: ['command "a\\nb" must be one line (no newline)'] } },
  { name: 'rejects a bare %, which cron turns into a newline', args: { ...JOB, command: 'date +%F > /tmp/d' }, expect: { problems: [/^command "date \+%F > \/tmp\/d" has a bare %, which cron turns into a newline: write it \\%/] } },
  { name: 'takes an escaped %', args: { ...JOB, command: 'date +\\%F > /tmp/d' }, expect: { problems: [] } },
  { name: 'rejects a missing command and schedule', args: { name: 'x' }, expect: { problems: [/^schedule undefined must be a string/, 'command undefined must be a non-empty string'] } },
  { name: 'rejects a bad user', args: { ...JOB, user: 'no body' }, expect: { problems: ['user "no body" is not a valid user name'] } },
  { name: 'rejects an unknown state', args: { ...JOB, state: 'gone' as 'absent' }, expect: { problems: ['state "gone" is not one of present, absent'] } },
]);

const good = ['* * * * *', '0 3 * * *', '*/15 8-18 * * mon-fri', '0,30 */2 1-31/2 JAN-jun,dec 0-7', '5 4 * * sun', '@reboot', '@DAILY', '@annually', '0 0 1 1 7', '1-59/59 0 * * *'];
const bad: [string, RegExp][] = [
  ['60 * * * *', /minute "60" has "60", which is not from 0 to 59/],
  ['* 24 * * *', /hour "24"/],
  ['* * 0 * *', /day of month "0"/],
  ['* * * 13 *', /month "13" has "13", which is not 1-12 or a name like feb/],
  ['* * * * 8', /day of week "8"/],
  ['* * * * funday', /day of week "funday"/],
  ['5/10 * * * *', /step after a single value/],
  ['*/0 * * * *', /step "0": it must be a number from 1 to 59/],
  ['10-5 * * * *', /runs backwards/],
  ['1,,2 * * * *', /empty list item/],
  ['* * * *', /must have five fields .* not 4/],
  ['* * * * * *', /not 6/],
  ['', /must have five fields/],
  ['@sometimes', /is not one of @reboot/],
  ['*-5 * * * *', /range starting at \*/],
];

test('cron: schedules cron takes are valid', () => {
  for (const s of good) assert.is(scheduleProblem(s), undefined, s);
});

test('cron: schedules cron would reject name the field and the value', () => {
  for (const [s, re] of bad) assert.match(scheduleProblem(s) ?? '', re, s);
  assert.ok(scheduleProblem('60 * * * *')!.startsWith('schedule "60 * * * *": minute'));
});

test('cron: the file normalises the schedule spacing and defaults the user to root', () => {
  assert.is(cronFile({ name: 'a', schedule: ' 0  3\t* * * ', command: 'run it' }), '# managed by shipshape: a\n0 3 * * * root run it\n');
});

test('bad input is a plan problem naming the host, the task and the value, before any connection', () => {
  const p = createProject();
  p.host('web-01').cron('backup', { schedule: '0 25 * * *', command: 'true', name: 'the task' });
  const found = buildPlan(p).problems;
  assert.is(found.length, 1, JSON.stringify(found));
  assert.is(found[0]!.host, 'web-01');
  assert.is(found[0]!.task, 'the task');
  assert.match(found[0]!.message, 'hour "25"');
  assert.ok(found[0]!.callSite?.file.endsWith('.spec.ts'), 'points at the line of the call');
});

test.run();
