import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
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

test.run();
