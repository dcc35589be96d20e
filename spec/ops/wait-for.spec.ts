import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type Server } from 'node:net';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ShipshapeError } from '../../lib/errors.js';
import { probeOp, runOp } from '../../lib/engine/run-op.js';
import { waitForOp, type WaitForArgs } from '../../lib/ops/wait-for.js';
import { localFacts, scratch, transport } from './applied-twice/local-run.js';
import { opTable } from '../support/op-harness.js';

opTable<WaitForArgs>(waitForOp, [
  {
    name: 'is a no-op when the probe\'s one attempt got an accepted HTTP status',
    args: { port: 5000, path: '/' },
    probed: 'ok HTTP 200\n',
    expect: { probe: ['/dev/tcp/', 'timeout "$1" bash -c', 'GET %s HTTP/1.0'], changes: [], noop: 'port 5000 answers HTTP 200', actions: [] },
  },
  {
    name: 'waits, with retries up to the timeout, when the probe saw a 502',
    args: { port: 5000, path: '/', timeout: 45 },
    probed: 'ok-ish noise\nfail HTTP 502\n',
    expect: {
      changes: [{ what: 'wait for port 5000', before: 'HTTP 502', after: 'answer GET / with a status below 500' }],
      actions: [{ kind: 'exec', timeoutMs: (45 + 5 + 30) * 1000 }],
    },
  },
  {
    name: 'says "would wait" (unknown) in check mode instead of predicting a failure',
    args: { port: 5000, path: '/' },
    probed: 'fail Connection refused\n',
    check: true,
    expect: { changes: [{ what: 'wait for port 5000', before: 'Connection refused', after: 'answer GET / with a status below 500' }], unknown: true, actions: [] },
  },
  {
    name: 'checks only that a port accepts connections without path',
    args: { port: 5432, host: '10.0.0.5' },
    probed: 'ok accepts connections\n',
    expect: { probe: [String.raw`exec 3<>"/dev/tcp/$1/$2" || exit 3'\'' _ 10.0.0.5 5432 2>&1`], changes: [], noop: '10.0.0.5:5432 accepts connections' },
  },
  {
    name: 'names an IPv6 host in brackets',
    args: { port: 80, host: '::1' },
    probed: 'fail Connection refused\n',
    expect: { changes: [{ what: 'wait for [::1]:80', before: 'Connection refused', after: 'accept connections' }] },
  },
  {
    name: 'accepts only the listed statuses when status is given',
    args: { port: 8080, path: '/health', status: [200, 204] },
    probed: 'fail HTTP 302\n',
    expect: { probe: ['case ${BASH_REMATCH[1]} in 200|204) return 0'], changes: [{ what: 'wait for port 8080', before: 'HTTP 302', after: 'answer GET /health with HTTP 200 or 204' }] },
  },
  {
    name: 'accepts any status below 500 by default',
    args: { port: 8080, path: '/' },
    expect: { probe: ['case ${BASH_REMATCH[1]} in [1-4][0-9][0-9]) return 0'] },
  },
  {
    name: 'runs a command under timeout instead of a port',
    args: { command: 'pg_isready -q' },
    probed: 'ok exit 0\n',
    expect: { probe: [String.raw`timeout "$1" sh -c '\''pg_isready -q'\'' </dev/null`], changes: [], noop: 'command "pg_isready -q" exits 0' },
  },
  {
    name: 'shows the command\'s exit code and last line while it fails',
    args: { command: 'pg_isready' },
    probed: 'fail exit 2: no response\n',
    expect: { changes: [{ what: 'wait for command "pg_isready"', before: 'exit 2: no response', after: 'exit 0' }] },
  },
  {
    name: 'says so when the probe printed nothing',
    args: { port: 5000 },
    probed: { stdout: '', code: 1 },
    expect: { changes: [{ what: 'wait for port 5000', before: 'the probe printed nothing' }] },
  },
  {
    name: 'quotes every value that reaches the shell',
    args: { port: 80, path: "/a'b;$(id)", hostHeader: 'example.org' },
    // quoted twice: once for the inner bash, once more as part of the outer script
    expect: { probe: [String.raw`_ 127.0.0.1 80 '\''/a'\''\'\'''\''b;$(id)'\'' example.org 2>&1`] },
  },
  {
    name: 'needs no curl, wget or python on the host',
    args: { port: 80, path: '/' },
    expect: { probe: [/^(?!.*\b(curl|wget|python3?|nc|perl)\b)/s] },
  },
  { name: 'rejects neither port nor command', args: {}, expect: { problems: ['give port (a TCP port to wait for) or command (a shell command that must exit 0)'] } },
  { name: 'rejects both port and command', args: { port: 80, command: 'true' }, expect: { problems: ['give either port or command, not both'] } },
  {
    name: 'rejects port 0',
    args: { port: 0 },
    expect: { problems: ['port 0 must be a whole number from 1 to 65535'] },
  },
  { name: 'rejects port 65536', args: { port: 65536 }, expect: { problems: ['port 65536 must be a whole number from 1 to 65535'] } },
  { name: 'rejects a port string', args: { port: '80' as never }, expect: { problems: ['port "80" must be a whole number from 1 to 65535'] } },
  {
    name: 'rejects a path without a leading slash, with a space or a newline',
    args: { port: 80, path: 'health' },
    expect: { problems: ['path "health" must start with / and have no spaces or control characters (percent-encode them)'] },
  },
  { name: 'rejects a path with a space', args: { port: 80, path: '/a b' }, expect: { problems: [/^path "\/a b" must start with \//] } },
  { name: 'rejects a path with a newline', args: { port: 80, path: '/a\nHost: evil' }, expect: { problems: [/^path "\/a\\nHost: evil" must start with \//] } },
  { name: 'rejects a bad host', args: { port: 80, host: 'a b' }, expect: { problems: ['host "a b" must be a host name or IP address'] } },
  {
    name: 'rejects a status outside 100–599 and an empty list',
    args: { port: 80, path: '/', status: [200, 99] },
    expect: { problems: ['status [200,99] must be an HTTP status from 100 to 599, or a list of them'] },
  },
  { name: 'rejects an empty status list', args: { port: 80, path: '/', status: [] }, expect: { problems: [/^status \[\] must be an HTTP status/] } },
  { name: 'rejects status and hostHeader without path', args: { port: 80, status: 200, hostHeader: 'x' }, expect: { problems: ['status needs path: it applies to HTTP checks', 'hostHeader needs path: it applies to HTTP checks'] } },
  { name: 'rejects port options with command', args: { command: 'true', host: 'db', path: '/' }, expect: { problems: ['host goes with port, not with command', 'path goes with port, not with command'] } },
  { name: 'rejects an empty command', args: { command: ' ' }, expect: { problems: ['command " " must be a non-empty shell command'] } },
  { name: 'rejects a timeout of 0 or a fraction', args: { port: 80, timeout: 1.5 }, expect: { problems: ['timeout 1.5 must be a whole number of seconds from 1 to 86400'] } },
  { name: 'rejects a relative log file', args: { port: 80, logFile: ['/var/log/a.log', 'b.log'] }, expect: { problems: ['logFile "b.log" must be an absolute path'] } },
  { name: 'rejects a message of several lines', args: { port: 80, message: 'a\nb' }, expect: { problems: ['message "a\\nb" must be one line of text'] } },
  // url: the same check as host + port + path, with the Host header from the URL.
  {
    name: 'a url is host, port and path, its Host header as the URL has it',
    args: { url: 'http://127.0.0.1:5000/health' },
    probed: 'ok HTTP 200\n',
    expect: { probe: [String.raw`_ 127.0.0.1 5000 /health 127.0.0.1:5000 2>&1`], changes: [], noop: 'port 5000 answers HTTP 200', actions: [] },
  },
  {
    name: 'a url without a port is port 80, with its query and without its fragment',
    args: { url: 'http://app.internal/status?full=1#top' },
    probed: 'fail HTTP 503\n',
    expect: {
      probe: [String.raw`_ app.internal 80 '\''/status?full=1'\'' app.internal 2>&1`],
      changes: [{ what: 'wait for app.internal:80', before: 'HTTP 503', after: 'answer GET /status?full=1 with a status below 500' }],
    },
  },
  {
    name: 'a url with an IPv6 host connects to the address and sends it in brackets',
    args: { url: 'http://[::1]:8080/' },
    expect: { probe: [String.raw`_ ::1 8080 / '\''[::1]:8080'\'' 2>&1`] },
  },
  {
    name: 'a url takes status and an explicit hostHeader',
    args: { url: 'http://127.0.0.1:8080/', status: 204, hostHeader: 'example.org' },
    probed: 'fail HTTP 200\n',
    expect: { probe: [String.raw`_ 127.0.0.1 8080 / example.org 2>&1`, 'case ${BASH_REMATCH[1]} in 204) return 0'], changes: [{ after: 'answer GET / with HTTP 204' }] },
  },
  {
    name: 'a url\'s spaces arrive percent-encoded',
    args: { url: 'http://localhost:81/a b' },
    expect: { problems: [], probe: [String.raw`_ localhost 81 /a%20b localhost:81 2>&1`] },
  },
  {
    name: 'rejects an https url, saying what to give instead',
    args: { url: 'https://example.org/health' },
    expect: { problems: ["url \"https://example.org/health\" is HTTPS, which waitFor cannot speak (it checks with bash alone, no TLS): give port 443 to wait until it accepts connections, or command: 'curl -fsS https://example.org/health' when the host has curl"] },
  },
  { name: 'rejects a url that is not one', args: { url: 'localhost:5000/health' }, expect: { problems: ['url "localhost:5000/health" must be an http:// URL like http://127.0.0.1:5000/health'] } },
  { name: 'rejects a url of another scheme', args: { url: 'ftp://example.org/' }, expect: { problems: ['url "ftp://example.org/" must be an http:// URL like http://127.0.0.1:5000/health'] } },
  { name: 'rejects a url with credentials', args: { url: 'http://u:p@example.org/' }, expect: { problems: ['url "http://u:p@example.org/" must not hold a user or password: waitFor sends no credentials'] } },
  { name: 'rejects a url with host, port or path', args: { url: 'http://a/', port: 80, path: '/x' }, expect: { problems: ['url gives host, port and path already: leave out port, path'] } },
  { name: 'rejects a url with command', args: { url: 'http://a/', command: 'true' }, expect: { problems: ['give either url or command, not both'] } },
  { name: 'rejects a url with port 0', args: { url: 'http://a:0/' }, expect: { problems: ['port 0 must be a whole number from 1 to 65535'] } },
  { name: 'rejects a url that is not a string', args: { url: 5 as never }, expect: { problems: [/^url 5 must be/] } },
]);

// The scripts nest: sh runs `bash -c <script>`; check that script with bash -n too.
test('waitFor: the probe and apply scripts are valid bash', () => {
  const cases: WaitForArgs[] = [{ port: 80 }, { port: 80, path: "/x'y", status: [200, 301] }, { command: "echo 'hi' && exit 3", logFile: ['/a', "/b c'"], message: "it's down" }];
  for (const a of cases) {
    const ctx = { host: 'web-01', facts: localFacts, baseDir: '.', check: false };
    const action = waitForOp.apply(a, { changes: [] }, ctx)[0]!;
    for (const script of [waitForOp.probe(a, { baseDir: '.' })!, action.kind === 'exec' ? action.command : '']) {
      const r = spawnSync('/bin/sh', ['-c', script.replace(/\bbash -c /g, 'bash -n -c ')], { encoding: 'utf8' });
      assert.is(r.status, 0, `${JSON.stringify(a)}: ${r.stderr}\n${script}`);
      assert.is(r.stdout, '', 'bash -n runs nothing');
    }
  }
});

// ---- for real on this machine, against servers on loopback ----

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

async function listen(server: Server | ReturnType<typeof createHttpServer>): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as { port: number }).port;
}

async function withHttp<T>(handler: Handler, fn: (port: number) => Promise<T>): Promise<T> {
  const server = createHttpServer(handler);
  const port = await listen(server);
  try {
    return await fn(port);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
}

const ctx = (check = false) => ({ host: 'localhost', facts: localFacts, baseDir: process.cwd(), check });

test('waitFor for real: an answering port costs one probe and changes nothing', async () => {
  let requests = 0;
  await withHttp((_req, res) => { requests++; res.end('ok'); }, async (port) => {
    const out = await runOp(waitForOp, { port, path: '/' }, transport, ctx());
    assert.is(out.changed, false);
    assert.is(out.diff.noop, `port ${port} answers HTTP 200`);
    assert.is(requests, 1, 'the probe made one request, apply none');
  });
});

test('waitFor for real: retries past 502s until the status is accepted, and reports it waited', async () => {
  let requests = 0;
  const seen: string[] = [];
  await withHttp((req, res) => { requests++; seen.push(req.url!); res.statusCode = requests <= 2 ? 502 : 200; res.end(); }, async (port) => {
    const out = await runOp(waitForOp, { port, path: "/a'b$(id)", timeout: 20 }, transport, ctx());
    assert.is(out.changed, true);
    assert.equal(out.diff.changes[0], { what: `wait for port ${port}`, before: 'HTTP 502', after: "answer GET /a'b$(id) with a status below 500" });
    assert.match(out.results[0]!.stdout, new RegExp(`^port ${port} ready: HTTP 200 \\(after \\d+ s, 2 attempts\\)`));
    assert.equal(seen, ["/a'b$(id)", "/a'b$(id)", "/a'b$(id)"], 'the path arrives as given, unexpanded');
  });
});

test('waitFor for real: fails after the timeout naming the host, the wait, the last status and the log\'s tail', async () => {
  const log = join(scratch(), 'error.log');
  writeFileSync(log, ['Traceback (most recent call last):', '  File "/opt/webapp/app.py", line 2', '    def app(environ start_response):', 'SyntaxError: invalid syntax', ''].join('\n'));
  await withHttp((_req, res) => { res.statusCode = 502; res.end(); }, async (port) => {
    const args = { port, path: '/', timeout: 2, logFile: [log, '/nonexistent/x.log'], message: 'the app is not serving' };
    const err = await runOp(waitForOp, args, transport, ctx()).then(() => undefined, (e: unknown) => e);
    assert.instance(err, ShipshapeError);
    const text = (err as ShipshapeError).explain();
    assert.match(text, `localhost: port ${port} did not answer GET / with a status below 500 within 2 s (last: HTTP 502;`);
    assert.match(text, 'the app is not serving');
    assert.match(text, `--- last lines of ${log}:`);
    assert.match(text, 'SyntaxError: invalid syntax');
    assert.match(text, '--- /nonexistent/x.log does not exist');
  });
});

test('waitFor for real: the last error line and the lines before it are shown when how the program shut down fills the tail', async () => {
  const log = join(scratch(), 'error.log');
  writeFileSync(log, [
    'Traceback (most recent call last):', '  File "/opt/webapp/app.py", line 1', '    def app(environ, start_response)', "SyntaxError: expected ':'",
    '[ERROR] Shutting down: Master', 'Traceback (most recent call last):',
    // Distinct lines (not squeezed): more than the tail holds.
    ...['run', 'spawn', 'manage', 'reap', 'halt', 'stop', 'kill', 'wait', 'murder', 'sleep', 'wakeup', 'signal', 'reexec', 'start', 'loop', 'serve', 'boot', 'init', 'setup', 'load']
      .map((f) => `  File "/venv/gunicorn/arbiter_${f}.py", in ${f}_workers`),
    "gunicorn.errors.HaltServer: <HaltServer 'Worker failed to boot.' 3>", '',
  ].join('\n'));
  const err = await runOp(waitForOp, { command: 'false', timeout: 1, logFile: log }, transport, ctx()).then(() => undefined, (e: unknown) => e);
  const text = (err as ShipshapeError).explain();
  assert.match(text, '  File "/opt/webapp/app.py", line 1');
  assert.match(text, "SyntaxError: expected ':'");
  assert.match(text, 'HaltServer', 'the tail is still there');
});

test('waitFor for real: an error line at the start of the tail still shows the lines before it, once', async () => {
  const log = join(scratch(), 'error.log');
  // 16 distinct lines; the tail of one log holds 13 (a budget of 19 lines), so the SyntaxError is
  // its first line and the File line is the last line before it: the case gunicorn hits when it
  // has logged only a little after the error when the wait gives up.
  const before = ['Traceback (most recent call last):', '  File "/opt/webapp/app.py", line 1', '    def app(environ, start_response)'];
  const after = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta', 'iota', 'kappa', 'lambda', 'mu'].map((w) => `[INFO] ${w} worker exiting`);
  writeFileSync(log, [...before, "SyntaxError: expected ':'", ...after, ''].join('\n'));
  const err = await runOp(waitForOp, { command: 'false', timeout: 1, logFile: log }, transport, ctx()).then(() => undefined, (e: unknown) => e);
  const text = (err as ShipshapeError).explain();
  const lines = text.split('\n');
  const at = lines.findIndex((l) => l.endsWith(`--- last lines of ${log}:`));
  const indent = lines[at]!.length - `--- last lines of ${log}:`.length;   // explain() indents the command's output
  const shown = lines.slice(at + 1, at + 1 + 16).map((l) => l.slice(indent));
  assert.equal(shown, [...before, "SyntaxError: expected ':'", ...after], 'the whole file, in order, no line twice and no gap marker');
});

test('waitFor for real: check mode makes one attempt and says it would wait', async () => {
  const server = createTcpServer();
  const port = await listen(server);
  await new Promise((r) => server.close(r));   // a port that was just free: refused
  const out = await runOp(waitForOp, { port }, transport, ctx(true));
  assert.is(out.changed, true);
  assert.is(out.diff.unknown, true);
  assert.is(out.diff.changes[0]!.before, 'Connection refused');
  assert.equal(out.results, [], 'nothing ran but the probe');
});

test('waitFor for real: a connection closed without an answer, and one that never answers', async () => {
  const closing = createTcpServer((s) => s.destroy());
  // reads the request and never answers
  const hanging = createTcpServer((s) => { s.resume(); });
  const [a, b] = [await listen(closing), await listen(hanging)];
  try {
    assert.is((await probeOp(waitForOp, { port: a, path: '/' }, transport, undefined, '.')).stdout, 'fail the connection closed without an HTTP answer\n');
    assert.is((await probeOp(waitForOp, { port: b, path: '/' }, transport, undefined, '.')).stdout, 'fail no answer within 3 s\n');
    assert.is((await probeOp(waitForOp, { port: b }, transport, undefined, '.')).stdout, 'ok accepts connections\n', 'without path, accepting is enough');
  } finally {
    await Promise.all([closing, hanging].map((s) => new Promise((r) => { s.close(r); })));
  }
});

test('waitFor for real: a url is checked as host, port and path, with its Host header', async () => {
  const seen: { url?: string; host?: string }[] = [];
  await withHttp((req, res) => { seen.push({ url: req.url, host: req.headers.host }); res.statusCode = seen.length < 2 ? 503 : 200; res.end(); }, async (port) => {
    const url = `http://127.0.0.1:${port}/health?deep=1`;
    assert.is(waitForOp.describe({ url }), `waitFor GET /health?deep=1 on port ${port}`);
    const out = await runOp(waitForOp, { url, timeout: 20 }, transport, ctx());
    assert.is(out.changed, true);
    assert.match(out.results[0]!.stdout, new RegExp(`^port ${port} ready: HTTP 200`));
    assert.equal(seen, [{ url: '/health?deep=1', host: `127.0.0.1:${port}` }, { url: '/health?deep=1', host: `127.0.0.1:${port}` }]);
  });
});

test('waitFor for real: a command that succeeds on its second attempt', async () => {
  const flag = join(scratch(), 'flag');
  // Fails once (leaving the flag), then succeeds: the probe's attempt is the first.
  const command = `[ -e '${flag}' ] || { touch '${flag}'; echo 'not yet' >&2; exit 3; }`;
  const probed = await probeOp(waitForOp, { command }, transport, undefined, '.');
  assert.is(probed.stdout, 'fail exit 3: not yet\n');
  const out = await runOp(waitForOp, { command, timeout: 10 }, transport, { ...ctx(), probed });
  assert.is(out.changed, true);
  assert.match(out.results[0]!.stdout, /ready: exit 0 \(after \d+ s, 1 attempt\)/);
});

test.run();
