// Where a lab host's forwarded ports are on the controller, and a GET that waits for an answer.
import { forwardTo, getPage as page, guestUrl as webUrl, type LabHost } from '../lib/lab/index.js';

/** The controller address and port forwarded to a host's sshd (what every tool connects to). */
export function sshForward(h: LabHost): { ip: string; port: number } {
  return forwardTo(h, 22);
}

/**
 * Throws unless every host answers 200 with exactly `body` within 10 s (a bench of a broken
 * deploy is worthless; nginx's workers take a moment to pick up a reload).
 */
export async function expectPage(hosts: LabHost[], body: string, who: string, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (const h of hosts) {
    for (;;) {
      const p = await page(webUrl(h)).catch((e: Error) => ({ status: 0, body: e.message }));
      if (p.status === 200 && p.body === body) break;
      if (Date.now() > until) {
        throw new Error(`${who}: ${h.name} (${webUrl(h)}) answered ${p.status} ${JSON.stringify(p.body.slice(0, 200))}, expected ${JSON.stringify(body)}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** Whether every host answers 200 with exactly `body`. */
export async function pageIs(hosts: LabHost[], body: string): Promise<boolean> {
  try {
    await expectPage(hosts, body, '', 3000);
    return true;
  } catch {
    return false;
  }
}
