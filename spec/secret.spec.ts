import { test } from 'uvu';
import * as assert from 'uvu/assert';
import createDebug from 'debug';
import { inspect } from 'node:util';
import { ShipshapeError, toShipshapeError } from '../lib/errors.js';
import { quote } from '../lib/transport/quote.js';
import { redact, redactDeep, registerSecretContent, reveal, secret } from '../lib/secret.js';

/** Every form a value takes when it is encoded on its way out. */
const encodings = (s: string) => [s, JSON.stringify(s), JSON.stringify({ s }), quote(s), inspect(s), inspect({ s })];

test('secret() refuses a value shorter than 3 characters with an error that does not show it', () => {
  for (const v of ['', 'Q', 'Qz', '  Qz  ', '\n\t', ' Z ']) {
    let err: unknown;
    try { secret(v); } catch (e) { err = e; }
    assert.instance(err, ShipshapeError, `secret(${JSON.stringify(v)}) is refused`);
    const text = (err as ShipshapeError).explain();
    assert.match(text, 'shorter than 3 characters');
    if (v.trim()) assert.not.match(text, v.trim());
  }
  assert.throws(() => secret(undefined as unknown as string), /takes a string/);
  assert.is(reveal(secret('abc')), 'abc', 'three characters are enough');
});

test('a secret with quotes, backslashes, newlines or unicode is masked in every encoding of it', () => {
  const values = ['q"uo\\te-1', "it's-\\x-2", 'zweizeilig\nzeile-3', 'ünïcødé-✓-4', 'tab\there-5', 'esc\x1b[31m-6'];
  for (const v of values) {
    secret(v);
    for (const text of encodings(v)) {
      const out = redact(`before ${text} after`);
      assert.not.match(out, v, `raw value in ${JSON.stringify(out)}`);
      for (const e of encodings(v)) assert.not.ok(out.includes(e), `${JSON.stringify(e)} survives in ${JSON.stringify(out)}`);
      assert.match(out, '********');
    }
  }
});

test('each line of a secret of several lines is masked on its own, as diffs and indented text split it', () => {
  const key = '-----BEGIN TEST KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKB\n-----END TEST KEY-----\n';
  secret(key);
  const diff = ` context\n-${key.split('\n')[1]}\n+${key.split('\n')[2]}\n           ${key.split('\n')[1]}`;
  const out = redact(diff);
  for (const line of key.split('\n').filter(Boolean)) assert.not.match(out, line);
  assert.match(out, ' context\n-********\n+********\n           ********');
});

test('a short secret masks the whole word it is found in, so the rest of the word does not tell what it is', () => {
  secret('pwd');
  const out = redact('the pwdfile and rpwd, and cd $pwd-x');
  assert.not.match(out, 'pwd');
  assert.not.match(out, 'file', 'the rest of a word would give away where the secret ended');
  assert.is(out, 'the ******** and ********, and cd $********-x');
});

test('redactDeep masks every string and key of a structure before it is encoded', () => {
  secret('deep"sec\\ret');
  const doc = redactDeep({ 'deep"sec\\ret': ['x deep"sec\\ret', { name: 'deep"sec\\ret' }], n: 3, ok: true });
  const json = JSON.stringify(doc);
  assert.not.match(json, 'deep');
  assert.equal(JSON.parse(json), { '********': ['x ********', { name: '********' }], n: 3, ok: true });
});

test('registerSecretContent masks a secret file content line by line, and leaves binary content alone', () => {
  registerSecretContent(Buffer.from('db_user=app\ndb_password=Zq8!v2\n'));
  assert.is(redact('  db_password=Zq8!v2'), '  ********');
  assert.not.throws(() => registerSecretContent(Buffer.from([0, 1, 2, 0xff])));
});

test('explain(), message and every field of an error are redacted, and its cause keeps no raw text', () => {
  const s = reveal(secret('caus"e\\secret-7'));
  const raw = new Error(`connect failed for ${s}`);
  (raw as Error & { code: string }).code = 'EACCES';
  raw.cause = new Error(`inner ${s}`);
  const e = new ShipshapeError(`cannot do ${s}`, {
    host: 'h', task: `task ${s}`, command: `echo ${quote(s)}`, stderr: `line\n${s}\n`, stdout: s, fix: `try ${s}`, cause: raw,
  });
  const all = [e.message, e.explain(), e.stack ?? '', inspect(e, { depth: 10 }), JSON.stringify(e)];
  for (const text of all) assert.not.match(text, 'secret-7');
  const cause = e.cause as Error & { code?: string };
  assert.is(cause.message, 'connect failed for ********');
  assert.is(cause.code, 'EACCES', 'the cause keeps its code');
  assert.not.match(cause.stack ?? '', 'secret-7');
  assert.not.match(String((cause.cause as Error).message), 'secret-7');
  assert.not.match(inspect(toShipshapeError(raw), { depth: 10 }), 'secret-7');
});

test('debug logs are redacted, in raw, quoted and inspected arguments alike', () => {
  const s = reveal(secret("dbg'quote\"d-8"));
  const written: string[] = [];
  const write = process.stderr.write;
  const was = createDebug.disable();
  createDebug.enable('shipshape:spec');
  process.stderr.write = ((chunk: string) => { written.push(String(chunk)); return true; }) as typeof process.stderr.write;
  try {
    const log = createDebug('shipshape:spec');
    log('%s $ %s', 'web-01', `mysql -p${quote(s)}`);
    log('object %o and %O', { password: s }, [s]);
    log(`inline ${s}\nsecond line ${s}`);
  } finally {
    process.stderr.write = write;
    createDebug.enable(was);
  }
  const text = written.join('');
  assert.ok(written.length >= 3, 'the lines were logged');
  assert.not.match(text, 'quote');
  assert.match(text, '********');
});

test.run();
