/**
 * Each lab host's own cgroup dirs (`shipshape/<netns>` in the name=systemd and cgroup2
 * hierarchies): systemd-nspawn `--keep-unit` makes its `payload/` and `supervisor/` under the
 * cgroup it starts in, so hosts must not share one. Every process in them is the host's.
 */
import { existsSync, readdirSync, readFileSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { procRef, stopProcs, type ProcRef } from './proc.js';

const ROOT = '/sys/fs/cgroup';
const DIR = 'shipshape';

/**
 * The hierarchies a host gets a dir in: name=systemd and cgroup2 on a hybrid machine, else the cgroup2 root.
 *
 * @example
 * cgroupRoots()   // ['/sys/fs/cgroup/systemd', '/sys/fs/cgroup/unified']
 */
export function cgroupRoots(): string[] {
  const hybrid = [join(ROOT, 'systemd'), join(ROOT, 'unified')].filter((d) => existsSync(join(d, 'cgroup.procs')));
  if (hybrid.length) return hybrid;
  return existsSync(join(ROOT, 'cgroup.controllers')) ? [ROOT] : [];
}

/**
 * A host's cgroup dirs, named after its network namespace (unique on the machine).
 *
 * @example
 * hostCgroups('ss-1a2b3c4d5e6f-web-01')   // ['/sys/fs/cgroup/systemd/shipshape/ss-1a2b3c4d5e6f-web-01', ...]
 */
export function hostCgroups(netns: string): string[] {
  return cgroupRoots().map((r) => join(r, DIR, netns));
}

/**
 * Names of host cgroup dirs starting with `prefix` (a crash can leave them unrecorded).
 *
 * @example
 * cgroupsWithPrefix(netnsPrefix(key))   // ['ss-1a2b3c4d5e6f-web-01']
 */
export function cgroupsWithPrefix(prefix: string): string[] {
  const names = new Set<string>();
  for (const r of cgroupRoots()) {
    try {
      for (const n of readdirSync(join(r, DIR))) if (n.startsWith(prefix)) names.add(n);
    } catch { /* no host cgroups in this hierarchy */ }
  }
  return [...names];
}

function subdirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => join(dir, e.name));
  } catch {
    return [];
  }
}

/** Deepest first. */
function tree(dir: string): string[] {
  return [...subdirs(dir).flatMap(tree), dir];
}

/**
 * The live processes in a host's cgroups.
 *
 * @example
 * cgroupProcs('ss-1a2b3c4d5e6f-web-01').length   // 7 on an idle host (systemd, journald, sshd, ... and nspawn)
 */
export function cgroupProcs(netns: string): ProcRef[] {
  const pids = new Set<number>();
  for (const d of hostCgroups(netns).filter(existsSync).flatMap(tree)) {
    try {
      for (const p of readFileSync(join(d, 'cgroup.procs'), 'utf8').split('\n')) if (p) pids.add(Number(p));
    } catch { /* removed meanwhile */ }
  }
  return [...pids].map(procRef).filter((r): r is ProcRef => !!r);
}

/**
 * Kills by PID what is left in a host's cgroups, then removes them (and `shipshape/` once no
 * host has a dir there). True when they are gone.
 *
 * @example
 * await removeHostCgroups(h.netns)   // true
 */
export async function removeHostCgroups(netns: string): Promise<boolean> {
  const left = cgroupProcs(netns);
  if (left.length) await stopProcs([], left, 0);
  let gone = true;
  for (const dir of hostCgroups(netns)) {
    // a killed process leaves its cgroup only once it is reaped: try for a while
    for (let i = 0; existsSync(dir) && i < 50; i++) {
      for (const d of tree(dir)) {
        try { rmdirSync(d); } catch { /* busy until its processes are reaped */ }
      }
      if (existsSync(dir)) await new Promise((r) => setTimeout(r, 40));
    }
    if (existsSync(dir)) gone = false;
    try { rmdirSync(join(dir, '..')); } catch { /* another host still has its dir there */ }
  }
  return gone;
}
