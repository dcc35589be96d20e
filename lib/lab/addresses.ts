/**
 * The machine-wide side of the lab network. The bridge and 10.77.0.0/24 are shared by every
 * lab on this machine, whatever its lab dir, so their lock and the address registry live in
 * /run (cleared at boot, like the namespaces they describe).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withLock } from './lock.js';
import { allocateAddresses } from './network.js';
import { SUBNET } from './paths.js';
import { run } from './run.js';
import { readState } from './state.js';

const RUN_DIR = '/run/shipshape/lab';
const REGISTRY = join(RUN_DIR, 'addresses.json');

/** Who holds an address: the state file of a cluster and the host in it. */
interface Claim { state: string; host: string }

/**
 * Runs `fn` holding the machine-wide network lock (bridge, namespaces, address registry).
 *
 * @example
 * await withNetLock(() => ensureBridge())
 */
export function withNetLock<T>(fn: () => Promise<T>, log?: (l: string) => void): Promise<T> {
  return withLock(join(RUN_DIR, 'net.lock'), fn, { waitMs: 120_000, log });
}

function readRegistry(): Record<string, Claim> {
  try {
    return JSON.parse(readFileSync(REGISTRY, 'utf8')) as Record<string, Claim>;
  } catch {
    return {};
  }
}

function writeRegistry(reg: Record<string, Claim>): void {
  mkdirSync(RUN_DIR, { recursive: true });
  const tmp = `${REGISTRY}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(reg, null, 2) + '\n');
  renameSync(tmp, REGISTRY);
}

/** A claim still counts while its cluster's state file records that host at that address. */
function live(address: string, c: Claim): boolean {
  return existsSync(c.state) && !!readState(c.state)?.hosts.some((h) => h.name === c.host && h.address === address);
}

/**
 * Gives each host of a cluster an address no other lab on this machine holds, and records
 * the claims: `names` are all the cluster's hosts that are up afterwards, `fixed` those that
 * keep the address they have. Call with the net lock held, and write the cluster's state
 * before releasing it.
 *
 * @example
 * await withNetLock(() => claimAddresses(ctx.cluster.state, ['web-01', 'db-01']))   // Map { 'web-01' → '10.77.0.11', 'db-01' → '10.77.0.12' }
 */
export async function claimAddresses(stateFile: string, names: string[], fixed: ReadonlyMap<string, string> = new Map()): Promise<Map<string, string>> {
  const reg = readRegistry();
  for (const [a, c] of Object.entries(reg)) if (c.state === stateFile || !live(a, c)) delete reg[a];
  const got = allocateAddresses(names, new Set([...Object.keys(reg), ...(await addressesInNamespaces())]), fixed);
  for (const [host, a] of got) reg[a] = { state: stateFile, host };
  writeRegistry(reg);
  return got;
}

/** Addresses of 10.77.0.0/24 configured in any network namespace now, whoever made it. */
async function addressesInNamespaces(): Promise<string[]> {
  const r = await run('ip', ['-all', 'netns', 'exec', 'ip', '-4', '-o', 'addr', 'show'], { allowFail: true });
  return [...r.stdout.matchAll(new RegExp(`inet (${SUBNET.replace(/\./g, '\\.')}\\.\\d+)/`, 'g'))].map((m) => m[1]!);
}

/**
 * Drops a cluster's claims, so its addresses can go to the next cluster. Call with the net
 * lock held.
 *
 * @example
 * await withNetLock(async () => releaseAddresses(ctx.cluster.state))
 */
export function releaseAddresses(stateFile: string): void {
  const reg = readRegistry();
  const kept = Object.fromEntries(Object.entries(reg).filter(([, c]) => c.state !== stateFile));
  if (Object.keys(kept).length !== Object.keys(reg).length) writeRegistry(kept);
}
