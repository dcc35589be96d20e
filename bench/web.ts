// Where a lab host's forwarded ports are on the controller, and a GET that waits for an answer.
import { forwardTo, getPage as page, guestUrl as webUrl, type LabHost } from '../lib/lab/index.js';

/** The controller address and port forwarded to a host's sshd (what shipshape connects to). */
export function sshForward(h: LabHost): { ip: string; port: number } {
  return forwardTo(h, 22);
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
