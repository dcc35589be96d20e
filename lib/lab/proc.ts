/** Processes the lab starts, identified by PID and start time so a reused PID is never signalled. */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** A process the lab started: its PID and its start time (field 22 of /proc/PID/stat). */
export interface ProcRef {
  pid: number;
  start: string;
}

interface Stat {
  state: string;
  ppid: number;
  start: string;
}

function stat(pid: number): Stat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // the command name is in parentheses and may contain spaces: fields start after the last ')'
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: f[0]!, ppid: Number(f[1]), start: f[19]! };
}

/**
 * The ref of a live process, or undefined when it is gone; record it right after spawning so
 * a later signal cannot hit a reused PID.
 *
 * @example
 * procRef(child.pid)   // { pid: 4242, start: '226000' }
 */
export function procRef(pid: number): ProcRef | undefined {
  const s = stat(pid);
  return s ? { pid, start: s.start } : undefined;
}

/**
 * True while the process runs (a zombie awaiting its parent counts as gone).
 *
 * @example
 * isAlive(h.proc) && isAlive(h.init)   // the host is up
 */
export function isAlive(ref: ProcRef | undefined): boolean {
  if (!ref) return false;
  const s = stat(ref.pid);
  return !!s && s.start === ref.start && s.state !== 'Z' && s.state !== 'X';
}

/**
 * Direct children of a process.
 *
 * @example
 * const [pid] = childrenOf(h.proc.pid)   // the host's PID 1, seen from outside
 */
export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * Sends a signal if the ref still names the same process; false when it is gone.
 *
 * @example
 * signal(state.forwarder, 'SIGTERM')   // true
 */
export function signal(ref: ProcRef | undefined, sig: NodeJS.Signals): boolean {
  if (!isAlive(ref)) return false;
  try {
    process.kill(ref!.pid, sig);
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until none of the processes is alive; false on timeout.
 *
 * @example
 * await waitGone([h.init, h.proc], 3000)   // true
 */
export async function waitGone(refs: (ProcRef | undefined)[], timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (!refs.some(isAlive)) return true;
    if (Date.now() >= until) return false;
    await sleep(20);
  }
}

/**
 * Stops processes: `first` gets SIGTERM; if anything in `all` is still alive after
 * `graceMs`, everything in `all` gets SIGKILL. False if something survives even that.
 *
 * @example
 * await stopProcs([h.init], [h.init, h.proc], 3000)   // true
 */
export async function stopProcs(first: (ProcRef | undefined)[], all: (ProcRef | undefined)[], graceMs = 3000): Promise<boolean> {
  for (const r of first) signal(r, 'SIGTERM');
  if (await waitGone(all, graceMs)) return true;
  for (const r of all) signal(r, 'SIGKILL');
  return waitGone(all, 2000);
}

/**
 * PIDs of every process in the same PID namespace as `pid` (e.g. all of a lab host's processes).
 *
 * @example
 * pidNamespaceMembers(h.init!.pid)   // [4242, 4250, 4251]
 */
export function pidNamespaceMembers(pid: number): number[] {
  let ns: string;
  try {
    ns = readlinkSync(`/proc/${pid}/ns/pid`);
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readlinkSync(`/proc/${d}/ns/pid`) === ns) out.push(Number(d));
    } catch { /* gone meanwhile */ }
  }
  return out;
}

/**
 * Memory of a set of processes from /proc: summed RSS and PSS (PSS splits shared pages fairly), in KiB.
 *
 * @example
 * memoryOf(pidNamespaceMembers(h.init!.pid))   // { rssKiB: 23512, pssKiB: 9120 }
 */
export function memoryOf(pids: number[]): { rssKiB: number; pssKiB: number } {
  let rssKiB = 0;
  let pssKiB = 0;
  for (const pid of pids) {
    try {
      const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      rssKiB += Number(/^Rss:\s+(\d+)/m.exec(text)?.[1] ?? 0);
      pssKiB += Number(/^Pss:\s+(\d+)/m.exec(text)?.[1] ?? 0);
    } catch { /* gone meanwhile */ }
  }
  return { rssKiB, pssKiB };
}

/**
 * Live processes with an argument inside `dir` (how a crash's unrecorded processes are found).
 *
 * @example
 * await stopProcs([], procsWithArgUnder(ctx.cluster.dir), 0)
 */
export function procsWithArgUnder(dir: string): ProcRef[] {
  const out: ProcRef[] = [];
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      const args = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
      if (!args.some((a) => a.startsWith(prefix))) continue;
      const ref = procRef(Number(d));
      if (ref && isAlive(ref)) out.push(ref);
    } catch { /* gone meanwhile */ }
  }
  return out;
}
