/** How much memory a lab host uses: every process of its PID namespace, from /proc. */
import { clusterKey, clusterPaths, labPaths } from './paths.js';
import { isAlive, memoryOf, pidNamespaceMembers } from './proc.js';
import { readState } from './state.js';

export interface HostMemory {
  name: string;
  processes: number;
  /** Summed resident set size; counts shared pages (libc, python) once per process. */
  rssKiB: number;
  /** Summed proportional set size: shared pages split between their users. */
  pssKiB: number;
}

/**
 * Memory of each running host of a cluster's lab (its PID namespace's processes).
 *
 * @example
 * for (const m of hostMemory('cluster.json')) console.log(m.name, m.pssKiB);
 */
export function hostMemory(clusterFile: string, opts: { labDir?: string } = {}): HostMemory[] {
  const state = readState(clusterPaths(labPaths(opts.labDir), clusterKey(clusterFile)).state);
  return (state?.hosts ?? []).filter((h) => isAlive(h.init)).map((h) => {
    const pids = pidNamespaceMembers(h.init!.pid);
    return { name: h.name, processes: pids.length, ...memoryOf(pids) };
  });
}
