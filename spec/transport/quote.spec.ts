import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { argv, quote } from '../../lib/transport/quote.js';

const nasty = ["it's", 'a b', '$(touch /tmp/pwned)', '`id`', 'x;y', 'new\nline', '', '*', '"dq"', '\\', "'", "-n"];

test('quote() round-trips every value through a real shell unchanged', () => {
  for (const v of nasty) {
    const out = execFileSync('/bin/sh', ['-c', `printf '%s' ${quote(v)}`], { encoding: 'utf8' });
    assert.is(out, v, JSON.stringify(v));
  }
});

test('quote() leaves plain words bare and refuses NUL bytes', () => {
  assert.is(quote('/etc/nginx/nginx.conf'), '/etc/nginx/nginx.conf');
  assert.is(quote(644), '644');
  assert.throws(() => quote('a\0b'), /NUL/);
});

test('argv() quotes each word of a command', () => {
  const out = execFileSync('/bin/sh', ['-c', `${argv(['printf', '%s|', ...nasty])}`], { encoding: 'utf8' });
  assert.is(out, nasty.map((v) => `${v}|`).join(''));
});

test.run();
