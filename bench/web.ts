// Where a lab host's forwarded ports are on the controller, and a GET that waits for an answer.
import { get as httpGet } from 'node:http';
import type { LabForward, LabHost } from '../lib/lab/index.js';

const controllerIp = (f: LabForward) => (f.hostIp === '0.0.0.0' ? '127.0.0.1' : f.hostIp);

function forward(h: LabHost, guestPort: number): LabForward {
  const f = h.forwards.find((x) => x.guestPort === guestPort);
  if (!f) throw new Error(`${h.name} has no forward for guest port ${guestPort}`);
  return f;
}

/** The controller address and port forwarded to a host's sshd (what shipshape connects to). */
export function sshForward(h: LabHost): { ip: string; port: number } {
  const f = forward(h, 22);
  return { ip: controllerIp(f), port: f.hostPort };
}

/** The controller URL of a host's guest port 80. */
export function webUrl(h: LabHost): string {
  const f = forward(h, 80);
  return `http://${controllerIp(f)}:${f.hostPort}/`;
}

/** GET over node:http, retrying while nothing answers yet. */
export async function page(url: string, timeoutMs = 10_000): Promise<{ status: number; body: string }> {
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

/** Throws unless every host answers 200 with exactly `body` (a bench of a broken deploy is worthless). */
export async function expectPage(hosts: LabHost[], body: string, who: string): Promise<void> {
  for (const h of hosts) {
    const p = await page(webUrl(h)).catch((e: Error) => ({ status: 0, body: e.message }));
    if (p.status !== 200 || p.body !== body) {
      throw new Error(`${who}: ${h.name} (${webUrl(h)}) answered ${p.status} ${JSON.stringify(p.body.slice(0, 200))}, expected ${JSON.stringify(body)}`);
    }
  }
}
