/**
 * What the lab serves its hosts, on the bridge address only (hosts have no internet): files
 * over HTTP (for `download`) and git repositories over smart HTTP (for `git`), from one
 * directory on the controller.
 */
import { spawn } from 'node:child_process';
import { createReadStream, existsSync, realpathSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, sep } from 'node:path';
import { BRIDGE_ADDRESS } from './paths.js';

export interface LabServer {
  /** `http://10.77.0.1:PORT`: a file `<root>/a/b.tgz` is `${url}/a/b.tgz`, a bare repo `<root>/app.git` is `${url}/app.git`. */
  url: string;
  port: number;
  /** Requests answered so far (method, path, status), for tests that count fetches. */
  requests: { method: string; path: string; status: number; headers: IncomingMessage['headers'] }[];
  close(): Promise<void>;
}

const GIT_BACKEND = '/usr/lib/git-core/git-http-backend';
const GIT_PATH = /^(\/.+?\.git)(\/(?:info\/refs|git-upload-pack|git-receive-pack|HEAD|objects\/.*))$/;

/**
 * Serves `root` on the lab bridge (`address`, default 10.77.0.1; `port` 0 picks a free one).
 * Plain files are sent as they are (404 when missing, no directory listings); paths under a
 * `*.git` directory go to `git http-backend`, so hosts clone with `git clone ${url}/app.git`
 * (read-only: pushes are refused). Needs the lab bridge to be up.
 *
 * @example
 * const srv = await serveLab('/tmp/files');   // srv.url === 'http://10.77.0.1:41234'
 * await srv.close();
 */
export function serveLab(root: string, opts: { address?: string; port?: number } = {}): Promise<LabServer> {
  const base = realpathSync(root);
  const requests: LabServer['requests'] = [];
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    res.on('close', () => requests.push({ method: req.method ?? '', path, status: res.statusCode, headers: req.headers }));
    const git = GIT_PATH.exec(path);
    if (git) return gitBackend(base, req, res);
    if (req.method !== 'GET' && req.method !== 'HEAD') return end(res, 405);
    const file = join(base, path);
    if (path.includes('\0') || !(file === base || file.startsWith(base + sep))) return end(res, 403);
    let st;
    try { st = statSync(file); } catch { return end(res, 404); }
    if (!st.isFile()) return end(res, 404);
    res.writeHead(200, { 'content-length': st.size, 'content-type': 'application/octet-stream' });
    if (req.method === 'HEAD') return res.end();
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.address ?? BRIDGE_ADDRESS, () => {
      const { address, port } = server.address() as AddressInfo;
      resolve({
        url: `http://${address}:${port}`, port, requests,
        close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
      });
    });
  });
}

function end(res: ServerResponse, status: number): void {
  res.writeHead(status, { 'content-type': 'text/plain' });
  res.end(`${status}\n`);
}

/** Runs `git http-backend` as a CGI for one request (upload-pack only). */
function gitBackend(root: string, req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://x');
  if (url.pathname.endsWith('/git-receive-pack') || url.searchParams.get('service') === 'git-receive-pack') return end(res, 403);
  if (!existsSync(GIT_BACKEND)) return end(res, 501);
  const child = spawn(GIT_BACKEND, [], {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      GIT_PROJECT_ROOT: root, GIT_HTTP_EXPORT_ALL: '1',
      REQUEST_METHOD: req.method ?? 'GET', PATH_INFO: url.pathname, QUERY_STRING: url.search.slice(1),
      CONTENT_TYPE: req.headers['content-type'] ?? '', REMOTE_ADDR: req.socket.remoteAddress ?? '',
      ...(req.headers['content-encoding'] ? { HTTP_CONTENT_ENCODING: String(req.headers['content-encoding']) } : {}),
      ...(req.headers['git-protocol'] ? { GIT_PROTOCOL: String(req.headers['git-protocol']) } : {}),
    },
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  req.pipe(child.stdin);
  child.on('error', () => { if (!res.headersSent) end(res, 500); });
  // CGI output: headers, a blank line, the body
  let head = Buffer.alloc(0);
  let inBody = false;
  child.stdout.on('data', (d: Buffer) => {
    if (inBody) { res.write(d); return; }
    head = Buffer.concat([head, d]);
    const i = head.indexOf('\r\n\r\n');
    const j = i < 0 ? head.indexOf('\n\n') : -1;
    if (i < 0 && j < 0) return;
    const cut = i >= 0 ? i : j;
    const lines = head.subarray(0, cut).toString('latin1').split(/\r?\n/);
    let status = 200;
    const headers: Record<string, string> = {};
    for (const l of lines) {
      const k = l.indexOf(':');
      if (k < 0) continue;
      const name = l.slice(0, k).trim();
      const value = l.slice(k + 1).trim();
      if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 200;
      else headers[name] = value;
    }
    res.writeHead(status, headers);
    inBody = true;
    res.write(head.subarray(cut + (i >= 0 ? 4 : 2)));
  });
  child.stdout.on('end', () => { if (!res.headersSent) end(res, 502); else res.end(); });
}
