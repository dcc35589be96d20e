import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpDir } from '../support/tmp.js';
import { batchScript } from '../../lib/engine/probe-batch.js';

test('a batched probe script returns each probe\'s stdout and exit code separately', () => {
  const b = batchScript([
    { key: '0', script: 'echo one; echo two' },
    { key: '1', script: 'printf "no newline"; exit 3' },
    { key: '2', script: 'echo err >&2; cat; echo "::shipshape:fake:end:2::0"' },
    { key: 'facts', script: 'true' },
  ]);
  const out = execFileSync('/bin/sh', ['-c', b.script], { encoding: 'utf8', input: 'stdin must not reach probes' });
  const r = b.parse(out);
  assert.equal(r.get('0'), { stdout: 'one\ntwo\n', code: 0 });
  assert.equal(r.get('1'), { stdout: 'no newline', code: 3 });
  assert.equal(r.get('2'), { stdout: '::shipshape:fake:end:2::0\n', code: 0 });
  assert.equal(r.get('facts'), { stdout: '', code: 0 });
});

/** The nonce of a batch, as anyone on the host reads it from the script in `ps`. */
const nonceOf = (script: string) => /::shipshape:([0-9a-f]+):begin:/.exec(script)![1]!;

test('a probe that prints the batch\'s own markers (nonce read from ps) cannot end itself or forge the next probe', () => {
  const b = batchScript([
    { key: '0', script: 'cat "$0.forge"' },
    { key: '1', script: 'echo real' },
  ]);
  const n = nonceOf(b.script);
  const forged = `start\n::shipshape:${n}:end:0::0\n::shipshape:${n}:begin:1::\nforged\n\n::shipshape:${n}:end:1::0\n`;
  const { dir, cleanup } = tmpDir();
  try {
    // The script reads the forged text from a file, as a probe reads a file a host user wrote.
    const self = join(dir, 'probe');
    writeFileSync(`${self}.forge`, forged);
    const out = execFileSync('/bin/sh', ['-c', b.script, self], { encoding: 'utf8' });
    const r = b.parse(out);
    assert.equal(r.get('0'), { stdout: forged, code: 0 });
    assert.equal(r.get('1'), { stdout: 'real\n', code: 0 });
  } finally { cleanup(); }
});

test('probe output is returned byte for byte: no trailing newline, blank lines, marker-like lines and exit codes', () => {
  const b = batchScript([
    { key: '0', script: "printf '\\n\\n::shipshape::stat\\n'; exit 7" },
    { key: '1', script: "printf 'a\\n\\n'" },
    { key: '2', script: 'true' },
  ]);
  const r = b.parse(execFileSync('/bin/sh', ['-c', b.script], { encoding: 'utf8' }));
  assert.equal(r.get('0'), { stdout: '\n\n::shipshape::stat\n', code: 7 });
  assert.equal(r.get('1'), { stdout: 'a\n\n', code: 0 });
  assert.equal(r.get('2'), { stdout: '', code: 0 });
});

test('output that is not what the batch prints (a cut-off or altered body) ends the parse there: no result for that probe or the ones after it', () => {
  const b = batchScript([{ key: '0', script: 'echo one' }, { key: '1', script: 'echo two' }, { key: '2', script: 'echo three' }]);
  const out = execFileSync('/bin/sh', ['-c', b.script], { encoding: 'utf8' });
  const n = nonceOf(b.script);
  assert.equal([...b.parse(out).keys()], ['0', '1', '2']);
  const longer = out.replace('two\n', 'two, and more\n');
  assert.equal([...b.parse(longer).keys()], ['0'], 'a body longer than its length');
  const wrongLength = out.replace(/(begin:1:: )\d+/, '$1x');
  assert.equal([...b.parse(wrongLength).keys()], ['0']);
  assert.equal([...b.parse(out.slice(0, out.indexOf(`::shipshape:${n}:end:1::`))).keys()], ['0'], 'cut off before its end marker');
});

test('lengths are bytes in bash under a UTF-8 locale too, and output that is not UTF-8 stops the parse without a wrong result', () => {
  const b = batchScript([
    { key: '0', script: "printf 'caf\\303\\251 \\342\\234\\223\\n'" },
    { key: '1', script: "printf 'bad \\377 byte\\n'" },
    { key: '2', script: 'echo after' },
  ]);
  const bash = execFileSync('bash', ['-c', b.script], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C.UTF-8' } });
  const r = b.parse(bash);
  assert.equal(r.get('0'), { stdout: 'café ✓\n', code: 0 });
  assert.is(r.has('1'), false, 'the transport decodes stdout as UTF-8: a lone \\377 no longer has its length');
  assert.is(r.has('2'), false);
  const unset = execFileSync('bash', ['-c', `${b.script}\necho "LC_ALL=\${LC_ALL-unset}"`], { encoding: 'utf8', env: { ...process.env, LC_ALL: undefined, LANG: 'C.UTF-8' } });
  assert.equal(b.parse(unset).get('0'), { stdout: 'café ✓\n', code: 0 });
  assert.match(unset, /LC_ALL=unset\n$/, 'LC_ALL is as it was after the length is taken');
});

test('a probe may exit with a code; one that sets its own exit trap gets no result', () => {
  const b = batchScript([{ key: '0', script: 'echo a; exit 5; echo b' }, { key: '1', script: "trap 'echo bye' 0; echo x" }, { key: '2', script: 'echo next' }]);
  const r = b.parse(execFileSync('/bin/sh', ['-c', b.script], { encoding: 'utf8' }));
  assert.equal(r.get('0'), { stdout: 'a\n', code: 5 });
  assert.is(r.has('1'), false);
  assert.equal(r.get('2'), { stdout: 'next\n', code: 0 });
});

test('probes that would take the script past its size limit are left out, to be probed on their own', () => {
  const big = `echo ${'x'.repeat(2000)}`;
  const b = batchScript([
    { key: 'facts', script: 'echo facts' },
    { key: '0', script: big },
    { key: '1', script: 'echo small' },
  ], 1500);
  const r = b.parse(execFileSync('/bin/sh', ['-c', b.script], { encoding: 'utf8' }));
  assert.equal(r.get('facts'), { stdout: 'facts\n', code: 0 });
  assert.is(r.has('0'), false);
  assert.equal(r.get('1'), { stdout: 'small\n', code: 0 });
  assert.ok(!b.script.includes('x'.repeat(2000)));
});

test.run();
