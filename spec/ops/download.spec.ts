import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { downloadOp, fetchScript, type DownloadArgs } from '../../lib/ops/download.js';
import { secret } from '../../lib/secret.js';
import { opTable, sections, sha } from '../support/op-harness.js';
import { tmpDir } from '../support/tmp.js';

const M = '::shipshape::';
const SUM = sha('hello\n');
const probed = (stat: string, opts: { sum?: string; tools?: string } = {}) =>
  sections(`${M}stat\n${stat}\n${opts.sum !== undefined ? `${M}sum\n${opts.sum}\n` : ''}${M}tools\n${opts.tools ?? 'curl\nwget\n'}`);
const URL_ = 'https://example.org/tool.tar.gz';

opTable<DownloadArgs>(downloadOp, [
  {
    name: 'downloads a missing file through a temp file next to it, verified before the rename',
    args: { url: URL_, dest: '/opt/tool.tar.gz', sha256: SUM, mode: 0o640, owner: 'www' },
    probed: probed('absent', { sum: '' }),
    expect: {
      probe: ["if [ -f /opt/tool.tar.gz ] && [ ! -L /opt/tool.tar.gz ]; then sha256sum < /opt/tool.tar.gz | cut -d' ' -f1; fi", 'for t in curl wget; do command -v'],
      changes: [{ what: 'content', before: 'absent', after: `sha256:${SUM.slice(0, 12)}`, content: { path: '/opt/tool.tar.gz', before: '', after: `(downloaded from ${URL_}, sha256:${SUM})\n` } }],
      actions: [{ kind: 'exec', failure: `download of ${URL_} to /opt/tool.tar.gz failed on web-01` }],
    },
  },
  {
    name: 'does not fetch again when dest has the wanted sha256',
    args: { url: URL_, dest: '/opt/tool.tar.gz', sha256: `sha256:${SUM.toUpperCase()}`, mode: '0644' },
    probed: probed('file 644 root root 0 0', { sum: SUM }),
    expect: { changes: [], noop: `/opt/tool.tar.gz has sha256 ${SUM.slice(0, 12)}…, the wanted owner and mode` },
  },
  {
    name: 'fetches again when dest has another sha256',
    args: { url: URL_, dest: '/opt/tool.tar.gz', sha256: SUM },
    probed: probed('file 600 app app 1000 1000', { sum: sha('old\n') }),
    expect: { changes: [{ what: 'content', before: `sha256:${sha('old\n').slice(0, 12)}`, after: `sha256:${SUM.slice(0, 12)}` }], actions: [{ kind: 'exec' }] },
  },
  {
    name: 'only chmods and chowns an existing file with the right checksum',
    args: { url: URL_, dest: '/opt/tool.tar.gz', sha256: SUM, mode: 0o600, owner: 'app' },
    probed: probed('file 644 root root 0 0', { sum: SUM }),
    expect: {
      changes: [{ what: 'owner', before: 'root', after: 'app' }, { what: 'mode', before: '0644', after: '0600' }],
      actions: [{ kind: 'exec', command: 'chown app -- /opt/tool.tar.gz && chmod 0600 -- /opt/tool.tar.gz' }],
    },
  },
  {
    name: 'leaves an existing dest alone without sha256, like get_url without force',
    args: { url: URL_, dest: '/opt/tool.tar.gz' },
    probed: probed('file 644 root root 0 0'),
    expect: { probe: [/^(?!.*sha256sum)/s], changes: [], noop: /exists \(not fetched again: give sha256 to compare, or force: true/ },
  },
  {
    name: 'fetches an existing dest again with force',
    args: { url: URL_, dest: '/opt/tool.tar.gz', force: true },
    probed: probed('file 644 root root 0 0'),
    expect: { changes: [{ what: 'content', before: 'file', after: 'download (force)' }], actions: [{ kind: 'exec' }] },
  },
  {
    name: 'check mode says it would download and runs nothing',
    args: { url: URL_, dest: '/opt/tool.tar.gz' },
    probed: probed('absent'),
    check: true,
    expect: { changes: [{ what: 'content', before: 'absent', after: 'download' }], actions: [] },
  },
  {
    name: 'refuses a dest that is a directory',
    args: { url: URL_, dest: '/opt' },
    probed: probed('directory 755 root root 0 0'),
    expect: { throws: /\/opt exists as a directory, not a file/ },
  },
  {
    name: 'sends headers on stdin, never on the command line',
    args: { url: URL_, dest: '/opt/t', headers: { Authorization: secret('Bearer s3cr3t-token'), Accept: 'application/octet-stream' } },
    probed: probed('absent'),
    expect: { actions: [{ kind: 'exec', stdin: 'Authorization: Bearer s3cr3t-token\nAccept: application/octet-stream\n' }] },
  },
  // Validation: each names the value, before any connection.
  { name: 'refuses an ftp URL', args: { url: 'ftp://example.org/x', dest: '/opt/x' }, expect: { problems: ['url "ftp://example.org/x" must use http:// or https://, not ftp://'] } },
  { name: 'refuses a URL that is not one', args: { url: 'example.org/x', dest: '/opt/x' }, expect: { problems: ['url "example.org/x" is not a valid URL'] } },
  { name: 'refuses a URL with a newline', args: { url: 'https://example.org/x\nrm -rf /', dest: '/opt/x' }, expect: { problems: [/must not contain white space/] } },
  { name: 'refuses credentials in the URL without showing them', args: { url: 'https://bob:hunter2@example.org/x', dest: '/opt/x' }, expect: { problems: [/^url "https:\/\/\*\*\*@example.org\/x" holds credentials.*headers/] } },
  { name: 'refuses a relative dest', args: { url: URL_, dest: 'opt/x' }, expect: { problems: ['dest "opt/x" must be an absolute path'] } },
  { name: 'refuses a dest that names a directory', args: { url: URL_, dest: '/opt/' }, expect: { problems: [/must name a file/] } },
  { name: 'refuses a bad sha256', args: { url: URL_, dest: '/opt/x', sha256: 'abc' }, expect: { problems: [/^sha256 "abc" is not a sha256 checksum/] } },
  { name: 'refuses a decimal mode', args: { url: URL_, dest: '/opt/x', mode: 644 }, expect: { problems: [/mode 644 is a decimal number/] } },
  {
    name: 'refuses a header value with CR/LF, without showing it',
    args: { url: URL_, dest: '/opt/x', headers: { 'X-Token': 'abc\r\nHost: evil' } },
    expect: { problems: ['header X-Token has a value with a CR, LF or NUL character (the value is not shown)'] },
  },
  { name: 'refuses a bad header name', args: { url: URL_, dest: '/opt/x', headers: { 'X Token': 'a' } }, expect: { problems: ['header name "X Token" is not a valid HTTP header name'] } },
]);

test('download: without curl or wget the task fails naming the host', async () => {
  const d = await downloadOp.diff({ url: URL_, dest: '/opt/x' }, { stdout: probed('absent', { tools: '' }), code: 0 }, { host: 'web-01', facts: {} as never, baseDir: '.', check: false });
  assert.match(d.fails ?? '', 'neither curl nor wget is installed on web-01');
  const ok = await downloadOp.diff({ url: URL_, dest: '/opt/x' }, { stdout: probed('file 644 root root 0 0', { tools: '' }), code: 0 }, { host: 'web-01', facts: {} as never, baseDir: '.', check: false });
  assert.is(ok.fails, undefined, 'nothing to fetch, nothing to fail');
});

test('download: the script quotes every value and has the curl and the wget path', () => {
  const s = fetchScript({ url: "https://example.org/it's", dest: "/opt/it's", headers: { A: 'b' } }, { type: 'absent' }, 'web-01');
  assert.match(s, "url='https://example.org/it'\\''s'");
  assert.match(s, "curl -q -sS -L -o \"$tmp\" -w '%{http_code}' -H @- -- \"$url\"");
  assert.match(s, 'wget --config="$cfg" -q -S -O "$tmp" -- "$url"');
  assert.match(s, "printf 'header = %s\\n'");
  assert.match(s, 'chmod 0644 "$tmp"');
  assert.not.match(fetchScript({ url: URL_, dest: '/opt/x' }, { type: 'absent' }, 'h'), 'read -r h', 'no stdin is read without headers');
});

// The generated script run for real on this machine against a loopback server, once with
// curl and once with a PATH that has wget but no curl.
const tmp = tmpDir('ss-download-');
let server: Server;
let base = '';
const seen: { url: string; auth?: string }[] = [];
test.before(async () => {
  server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', auth: req.headers.authorization });
    if (req.url === '/hello.txt') res.end('hello\n');
    else if (req.url === '/moved') { res.writeHead(302, { location: '/hello.txt' }); res.end(); } else { res.writeHead(404); res.end('no\n'); }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // A PATH without curl: every tool the script needs, linked from where it is.
  const bin = join(tmp.dir, 'bin');
  mkdirSync(bin);
  for (const t of ['sh', 'wget', 'mktemp', 'rm', 'sed', 'tail', 'grep', 'sha256sum', 'cut', 'chmod', 'chown', 'mv', 'cat', 'printf']) {
    const r = spawnSync('sh', ['-c', `command -v ${t}`], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim().startsWith('/')) symlinkSync(r.stdout.trim(), join(bin, t));
  }
});
test.after(async () => { server.closeAllConnections(); await new Promise((r) => server.close(r)); tmp.cleanup(); });

/** Async: the server answers from this process, so the event loop must keep running. */
function runScript(a: DownloadArgs, tool: 'curl' | 'wget'): Promise<{ status: number | null; stderr: string }> {
  const headers = Object.entries(a.headers ?? {}).map(([k, v]) => `${k}: ${String(v)}\n`).join('');
  const env = tool === 'wget' ? { PATH: join(tmp.dir, 'bin') } : { PATH: process.env.PATH };
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', fetchScript(a, { type: 'absent' }, 'web-01')], { env, stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stderr }));
    child.stdin.end(headers);
  });
}
const leftovers = (dir: string) => readdirSync(dir).filter((f) => f.includes('shipshape'));

for (const tool of ['curl', 'wget'] as const) {
  test(`download (${tool}): fetches, follows a redirect, sends headers, sets the mode`, async () => {
    if (tool === 'wget' && !existsSync(join(tmp.dir, 'bin', 'wget'))) return console.log('  (no wget on this machine: skipped)');
    const dir = join(tmp.dir, tool);
    mkdirSync(dir);
    const r = await runScript({ url: `${base}/moved`, dest: join(dir, 'h.txt'), sha256: SUM, mode: '0640', headers: { Authorization: 'Bearer t0ken' } }, tool);
    assert.is(r.status, 0, r.stderr);
    assert.is(readFileSync(join(dir, 'h.txt'), 'utf8'), 'hello\n');
    assert.is(statSync(join(dir, 'h.txt')).mode & 0o7777, 0o640);
    assert.ok(seen.some((s) => s.url === '/hello.txt' && s.auth === 'Bearer t0ken'), JSON.stringify(seen));
    assert.equal(leftovers(dir), []);
  });

  test(`download (${tool}): a 404 is an error with the status, leaving nothing behind`, async () => {
    if (tool === 'wget' && !existsSync(join(tmp.dir, 'bin', 'wget'))) return;
    const dir = join(tmp.dir, `${tool}-404`);
    mkdirSync(dir);
    const r = await runScript({ url: `${base}/missing`, dest: join(dir, 'x') }, tool);
    assert.is(r.status, 22);
    assert.match(r.stderr, `HTTP status 404 from ${base}/missing`);
    assert.equal(readdirSync(dir), []);
  });

  test(`download (${tool}): a wrong sha256 fails naming both checksums, leaving no dest and no temp file`, async () => {
    if (tool === 'wget' && !existsSync(join(tmp.dir, 'bin', 'wget'))) return;
    const dir = join(tmp.dir, `${tool}-sum`);
    mkdirSync(dir);
    const r = await runScript({ url: `${base}/hello.txt`, dest: join(dir, 'x'), sha256: '0'.repeat(64) }, tool);
    assert.is(r.status, 1);
    assert.match(r.stderr, `expected ${'0'.repeat(64)}, got ${SUM}`);
    assert.equal(readdirSync(dir), []);
  });
}

test('download: a host with neither tool gets a clear error from the script too', () => {
  const r = spawnSync('/bin/sh', ['-c', fetchScript({ url: URL_, dest: join(tmp.dir, 'none') }, { type: 'absent' }, 'web-01')], { encoding: 'utf8', env: { PATH: '/nonexistent' } });
  // mktemp is not on that PATH either: the script stops before fetching, with no file left.
  assert.is.not(r.status, 0);
  assert.not.ok(existsSync(join(tmp.dir, 'none')));
});

test.run();
