import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createProject } from '../../lib/dsl/project.js';
import { decimalModeTypo, modeProblem, parseMode, plausibleMode } from '../../lib/ops/common.js';
import { buildPlan } from '../../lib/plan/build.js';

// Every mode a user plausibly writes, as the octal digits they mean. Each is tried both ways:
// as the octal literal (accepted) and as the same digits typed as a decimal number (rejected).
const MEANT = [
  '400', '440', '444', '500', '550', '555', '600', '640', '644', '660', '664', '666',
  '700', '710', '711', '733', '740', '744', '750', '751', '755', '770', '771', '775', '777',
  '1700', '1733', '1750', '1755', '1770', '1775', '1777',
  '2700', '2750', '2755', '2770', '2775', '2777', '3770', '3775', '3777',
  '4500', '4510', '4550', '4711', '4750', '4755', '4775', '6750', '6755', '6775',
];

test('each plausible mode written as an octal literal is accepted', () => {
  for (const digits of MEANT) {
    const mode = parseInt(digits, 8);
    assert.is(modeProblem('mode', mode), undefined, `0o${digits} (= ${mode})`);
    assert.is(parseMode(mode), mode);
  }
});

test('each plausible mode typed as a decimal number is rejected with both fixes', () => {
  for (const digits of MEANT) {
    const typed = Number(digits);
    assert.is(decimalModeTypo(typed), digits, `${typed}`);
    const msg = modeProblem('mode', typed);
    assert.ok(msg, `${typed} rejected`);
    assert.match(msg!, `mode ${typed} is a decimal number`);
    assert.match(msg!, `(did you mean 0o${digits} or '${digits}'?)`);
  }
});

test('the message says what a decimal mode would give on the host', () => {
  assert.is(modeProblem('mode', 644), "mode 644 is a decimal number: it gives mode 1204 on the host (did you mean 0o644 or '644'?)");
  assert.is(modeProblem('mode', 4755), "mode 4755 is a decimal number: it is too large for a mode (did you mean 0o4755 or '4755'?)");
});

test('octal literals whose decimal value has only octal digits are not mistaken for typos', () => {
  // 0o644 === 420, 0o640 === 416, ...: the digit rule alone would reject these.
  for (const [mode, value] of [[0o644, 420], [0o640, 416], [0o664, 436], [0o660, 432], [0o400, 256], [0o1777, 1023], [0o777, 511], [0o2775, 1533], [0o4755, 2541]]) {
    assert.is(mode, value);
    assert.ok(/^[0-7]+$/.test(String(value)), `${value} has only octal digits`);
    assert.is(modeProblem('mode', mode), undefined, `0o${mode!.toString(8)}`);
  }
});

test('no plausible mode (owner reads; group within owner, others within group; nothing write-only) is ever rejected', () => {
  let plausible = 0;
  for (let m = 0; m <= 0o7777; m++) {
    if (!plausibleMode(m)) continue;
    plausible++;
    assert.is(modeProblem('mode', m), undefined, `0o${m.toString(8)}`);
  }
  assert.ok(plausible > 250, `${plausible} plausible modes`);
});

test('strings are octal digits, never decimal: "644" and "0644" are accepted', () => {
  for (const s of ['644', '0644', '755', '0755', '1777', '0600']) assert.is(modeProblem('mode', s), undefined, s);
  assert.is(parseMode('644'), 0o644);
});

test('known gap: 511 is accepted, since it is also 0o777', () => {
  assert.is(511, 0o777);
  assert.is(modeProblem('mode', 511), undefined);
});

test('a small number or one with a digit 8 or 9 is a plain mode value, judged only by range', () => {
  assert.is(modeProblem('mode', 0), undefined);
  assert.is(modeProblem('mode', 0o755), undefined); // 493
  assert.match(modeProblem('mode', 9999)!, 'is not a valid mode');
  assert.match(modeProblem('mode', -1)!, 'is not a valid mode');
  assert.match(modeProblem('mode', 6.44)!, 'is not a valid mode');
});

test('file, copy, template and line reject a decimal mode in the plan, and copy a decimal dirMode', () => {
  const p = createProject();
  p.host('a')
    .file('/etc/a', { content: 'x', mode: 644 })
    .file('/etc/b', { state: 'directory', mode: 755 })
    .template({ inline: 'x' }, '/etc/c', { mode: 600 })
    .line('/etc/d', { line: 'x', mode: 640 })
    .copy('mode.spec.ts', '/etc/e', { dirMode: 750 })
    .file('/etc/ok', { content: 'x', mode: 0o644 });
  const problems = buildPlan(p).problems.map((q) => `${q.task}: ${q.message}`);
  assert.equal(problems, [
    "file /etc/a: mode 644 is a decimal number: it gives mode 1204 on the host (did you mean 0o644 or '644'?)",
    "file /etc/b (directory): mode 755 is a decimal number: it gives mode 1363 on the host (did you mean 0o755 or '755'?)",
    "template inline template → /etc/c: mode 600 is a decimal number: it gives mode 1130 on the host (did you mean 0o600 or '600'?)",
    "line /etc/d: x: mode 640 is a decimal number: it gives mode 1200 on the host (did you mean 0o640 or '640'?)",
    "copy mode.spec.ts → /etc/e: dirMode 750 is a decimal number: it gives mode 1356 on the host (did you mean 0o750 or '750'?)",
  ]);
});

test.run();
