// Parsers fed input shaped to make a backtracking regexp work super-linearly. Each input is
// large enough that the old code does not finish (cubic or worse: minutes at a few hundred
// characters; quadratic: about two minutes at 200,000 characters, an hour at the 1,000,000
// used here), so a regression hangs the suite. Each test asserts the result, never the time.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseRequirement, requirementsOf } from '../../lib/ops/pip-requirements.js';
import { pipOp } from '../../lib/ops/pip.js';
import { parseDpkg } from '../../lib/ops/apt.js';
import { trimSlashes } from '../../lib/ops/common.js';
import { templateOp } from '../../lib/ops/template.js';
import { editLines, lineOp } from '../../lib/ops/line.js';
import { stackFrame } from '../../lib/dsl/call-site.js';
import { ShipshapeError } from '../../lib/errors.js';
import { probedFile, runCase, sections, sha } from '../support/op-harness.js';

const LONG = 1_000_000;

test('a requirement with a long run of spaces before junk is refused (was cubic: 3 s at 400 characters)', () => {
  assert.is(parseRequirement(`a${' '.repeat(50_000)}b\rx`), undefined);
  assert.is(parseRequirement(`a${' \t'.repeat(25_000)}=`), undefined);
  assert.is(parseRequirement(`flask${' '.repeat(50_000)}[x`), undefined);
  assert.equal(parseRequirement(`Flask${' '.repeat(50_000)}>=3 ,  <4${' '.repeat(50_000)}; python_version > "3"`)?.specifiers, [['>=', '3'], ['<', '4']]);
  assert.equal(parseRequirement(`req${' '.repeat(50_000)}@${' '.repeat(50_000)}https://x/r.whl`)?.name, 'req');
});

test('a requirements file with long lines of spaces, comment marks and carriage returns parses line by line', () => {
  const text = `gunicorn\na${' '.repeat(50_000)}b\rx\n${' #'.repeat(LONG / 2)}\rflask>=3\n${'a'.repeat(LONG)}#\ngunicorn==21.2.0${' '.repeat(50_000)}# pinned\n`;
  // \r ends a line, as Python's splitlines() and so pip read the file.
  // `a…a#` is no requirement (a # starts a comment only at the start or after a space).
  assert.equal(requirementsOf(text).map((r) => r.spec.slice(0, 40)), ['gunicorn', 'x', 'flask>=3', 'gunicorn==21.2.0']);
});

test('pip judges a host\'s requirements file with such lines without hanging', async () => {
  const req = `flask${' '.repeat(50_000)}b\rgunicorn>=99\n`;
  const freeze = '::shipshape::pip\nflask==3.0.3\ngunicorn==21.2.0\nrc=0\n';
  const probed = sections(`${freeze}::shipshape::req\n${sha(req)}\n${req}::shipshape::stamp\n${sha(req)}\n`);
  await runCase(pipOp, {
    name: 'unmet', args: { venv: '/opt/webapp/venv', requirements: '/opt/webapp/requirements.txt' }, probed, check: true,
    expect: { changes: [{ what: 'requirements', before: 'not met: gunicorn>=99', after: '/opt/webapp/requirements.txt' }] },
  });
});

test('dpkg-query lines with a very long field are read by splitting (the regexp was quadratic: 3-7 s at 50,000)', () => {
  const long = 'd'.repeat(LONG);
  const out = parseDpkg(`a b c ${long} x y\nnginx install ok installed 1.22.1-9\nz install ok ${long}\n`);
  assert.equal([...out.keys()], ['nginx', 'z']);
  assert.equal(out.get('nginx'), { status: 'installed', version: '1.22.1-9' });
  assert.equal(out.get('z'), { status: long, version: '' });
});

test('trailing slashes of a long run are trimmed by a loop (/\\/+$/ was quadratic: 2.6 s at 50,000)', () => {
  assert.is(trimSlashes(`/${'/'.repeat(LONG)}x`), `/${'/'.repeat(LONG)}x`);
  assert.is(trimSlashes(`/opt/venv${'/'.repeat(LONG)}`), '/opt/venv');
  assert.ok(pipOp.probe({ venv: `/${'/'.repeat(LONG)}x`, packages: ['flask'] }, { baseDir: '/' })!.includes(`${'/'.repeat(LONG)}x; set -- "$v"/lib/python3*/site-packages`));
});

test('a template naming tens of thousands of missing variables is validated in one pass (was cubic: 19 s at 1,000)', () => {
  const problems = templateOp.validate({ src: { inline: '{{a}}\n'.repeat(50_000) }, dest: '/etc/x' }, { host: 'web-01', baseDir: '/', vars: {} });
  assert.equal(problems, ["template inline template uses " +
    Array.from({ length: 20 }, (_, i) => `{{a}} (line ${i + 1})`).join(', ') +
    " and 49980 more, which no variable gives: add them to vars or to the host's inventory variables"]);
});

test('a stack line without line and column is read from its end (the regexp was quadratic: 3.8 s at 50,000)', () => {
  assert.is(stackFrame(`${'/'.repeat(LONG)}(`), undefined);
  assert.equal(stackFrame(`    at ${'/'.repeat(LONG)} (file:///srv/deploy.ts:4:3)`), { path: 'file:///srv/deploy.ts', line: 4, column: 3 });
});

const runaway = `${'a'.repeat(50_000)}!`;

test('a line regexp that backtracks without end is stopped and named, not run forever', () => {
  for (const a of [{ regexp: '^(a+)+$' }, { insertAfter: '^(a|a)*$' }, { insertBefore: '(a*)*b' }, { regexp: '^(a+)+$', state: 'absent' as const }]) {
    assert.throws(() => editLines(`x\n${runaway}\n`, { path: '/etc/x', line: 'y', ...a }, { limitMs: 100, host: 'web-01' }), (e: Error) =>
      e instanceof ShipshapeError && e.host === 'web-01' && e.message.startsWith(`${Object.keys(a)[0]} ${JSON.stringify(Object.values(a)[0])} took more than 0.1 s over the 2 lines of /etc/x`) &&
      /no nested or overlapping repeats/.test(e.fix ?? ''));
  }
});

test('the line op fails the task with the regexp named when it runs away on the host\'s file', async () => {
  await runCase(lineOp, {
    name: 'runaway', args: { path: '/etc/x', regexp: '^(a+)+$', line: 'y' }, probed: probedFile('file 644 root root 0 0', `${runaway}\n`),
    expect: { throws: /^regexp "\^\(a\+\)\+\$" took more than 2 s over the 1 lines of \/etc\/x/ },
  });
});

test('ordinary regexps over a large file give the same edits as before', () => {
  const big = Array.from({ length: 100_000 }, (_, i) => `key${i}=${i}`).join('\n') + '\n';
  assert.is(editLines(big, { path: '/x', regexp: '^key99999=', line: 'key99999=new' }), big.replace('key99999=99999\n', 'key99999=new\n'));
  assert.is(editLines(big, { path: '/x', line: 'mid', insertAfter: '^key5000=' }), big.replace('key5000=5000\n', 'key5000=5000\nmid\n'));
  assert.is(editLines(big, { path: '/x', line: 'top', insertBefore: '^key1\\d=' }), big.replace('key10=10\n', 'top\nkey10=10\n'));
  assert.is(editLines(big, { path: '/x', regexp: '^key\\d+=\\d+$', line: '', state: 'absent' }), '');
  assert.is(editLines(big, { path: '/x', regexp: '^key0=', line: 'key0=0' }), undefined);
});

test.run();
