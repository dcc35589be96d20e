/** How much memory a lab host uses: every process of its PID namespace (systemd and below), from /proc. */
import { cgroupProcs } from './cgroup.js';
import { liveInit } from './host.js';
import { clusterKey, clusterPaths, labPaths } from './paths.js';
import { memoryOf, pidNamespaceMembers } from './proc.js';
import { readState } from './state.js';

export interface HostMemory {
  name: string;
  processes: number;
  /** Summed resident set size; counts shared pages (libc, python) once per process. */
  rssKiB: number;
  /** Summed proportional set size: shared pages split between their users. */
  pssKiB: number;
  /** PSS of what runs the host from outside it (systemd-nspawn and its wrapper). */
  supervisorPssKiB: number;
}

/**
 * Memory of each running host of a cluster's lab (its PID namespace's processes).
 *
 * @example
 * for (const m of hostMemory('cluster.json')) console.log(m.name, m.pssKiB);
 */
export function hostMemory(clusterFile: string, opts: { labDir?: string } = {}): HostMemory[] {
  const state = readState(clusterPaths(labPaths(opts.labDir), clusterKey(clusterFile)).state);
  return (state?.hosts ?? []).flatMap((h) => {
    const init = liveInit(h);
    if (!init) return [];
    const pids = pidNamespaceMembers(init.pid);
    const outside = [...new Set([...(h.proc ? [h.proc.pid] : []), ...cgroupProcs(h.netns).map((r) => r.pid)])].filter((p) => !pids.includes(p));
    return [{ name: h.name, processes: pids.length, ...memoryOf(pids), supervisorPssKiB: memoryOf(outside).pssKiB }];
  });
}
