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

test('output that is not what the batch prints (a cut-off or altered body) gives no result for that probe', () => {
  const b = batchScript([{ key: '0', script: 'echo one' }, { key: '1', script: 'echo two' }]);
  const out = execFileSync('/bin/sh', ['-c', b.script], { encoding: 'utf8' });
  const n = nonceOf(b.script);
  const altered = out.replace(/(begin:0::\n)[A-Za-z0-9+/=]+/, '$1not base64!');
  const r = b.parse(altered);
  assert.is(r.has('0'), false);
  assert.equal(r.get('1'), { stdout: 'two\n', code: 0 });
  assert.is(b.parse(out.slice(0, out.indexOf(`::shipshape:${n}:end:1::`))).has('1'), false);
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
