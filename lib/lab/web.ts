/** Reaching a lab host's guest ports from the controller, through its port_mappings. */
import { get as httpGet } from 'node:http';
import { ShipshapeError } from '../errors.js';
import type { LabHost } from './lab.js';

/**
 * The controller address and port forwarded to a host's guest port.
 *
 * @example
 * forwardTo(web01, 22)   // { ip: '127.0.0.1', port: 22003 }
 */
export function forwardTo(h: LabHost, guestPort: number): { ip: string; port: number } {
  const f = h.forwards.find((x) => x.guestPort === guestPort);
  if (!f) throw new ShipshapeError(`${h.name} has no port mapping for guest port ${guestPort}`, { fix: 'add one to port_mappings in cluster.json' });
  return { ip: f.hostIp === '0.0.0.0' ? '127.0.0.1' : f.hostIp, port: f.hostPort };
}

/**
 * The controller URL of a host's guest HTTP port.
 *
 * @example
 * guestUrl(web01)   // 'http://127.0.0.1:8080/'
 */
export function guestUrl(h: LabHost, guestPort = 80): string {
  const { ip, port } = forwardTo(h, guestPort);
  return `http://${ip}:${port}/`;
}

/**
 * GET over node:http, retrying while nothing answers yet (a service that is still starting).
 *
 * @example
 * (await getPage('http://127.0.0.1:8080/')).body   // 'Hello, World!\n'
 */
export async function getPage(url: string, timeoutMs = 10_000): Promise<{ status: number; body: string }> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await new Promise((resolve, reject) => {
        const req = httpGet(url, { timeout: 3000 }, (res) => {
          let body = '';
          res.on('data', (d: Buffer) => { body += d.toString('utf8'); });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          res.on('error', reject);
        });
        req.on('timeout', () => req.destroy(new Error(`timeout: ${url}`)));
        req.on('error', reject);
      });
    } catch (e) {
      if (Date.now() > until) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
