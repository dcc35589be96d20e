// Whole-process timing as a user sees it: wall time, the CPU of the process and everything it
// waited for (user + sys), and the peak resident set of its largest process, all from
// GNU time (`/usr/bin/time`, which reads them from wait4's rusage).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureTools } from '../lib/lab/preflight.js';

export interface Timed {
  /** Wall time from spawn to exit, in seconds. */
  seconds: number;
  /** User + system CPU of the whole process tree, in seconds. */
  cpu: number;
  /** Peak RSS of the largest process of the tree (its VmHWM), in MB (10^6 bytes). */
  rssMB: number;
  /** The exit code; null when a signal ended it. */
  code: number | null;
  /** stdout and stderr as they came. */
  out: string;
}

/** Installs GNU time when it is missing (the bench runs as root). */
export function ensureTime(): void {
  ensureTools({ time: 'time' }, 'the bench');
}

/**
 * Runs `cmd args` under `/usr/bin/time` and resolves when it ends (never rejects for an exit code).
 *
 * @example
 * const t = await timed('npx', ['tsx', 'deploy.ts'], { cwd: project });   // t.seconds, t.cpu, t.rssMB
 */
export function timed(cmd: string, args: string[], o: { cwd: string; env?: NodeJS.ProcessEnv; input?: string }): Promise<Timed> {
  const dir = mkdtempSync(join(tmpdir(), 'ss-bench-time-'));
  const stats = join(dir, 'time');
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn('/usr/bin/time', ['-q', '-f', '%U %S %M', '-o', stats, cmd, ...args], {
      cwd: o.cwd, env: { ...process.env, ...o.env }, stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d; });
    child.stderr.on('data', (d: Buffer) => { out += d; });
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = (performance.now() - t0) / 1000;
      try {
        // the last line: GNU time puts "Command exited with non-zero status N" before it
        const last = readFileSync(stats, 'utf8').trim().split('\n').pop() ?? '';
        const [user, sys, maxKiB] = last.split(' ').map(Number);
        resolve({ seconds, cpu: (user ?? NaN) + (sys ?? NaN), rssMB: ((maxKiB ?? NaN) * 1024) / 1e6, code, out });
      } catch (e) {
        reject(new Error(`${cmd} ${args.join(' ')}: no figures from /usr/bin/time (${(e as Error).message}):\n${out.slice(-2000)}`));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
    child.stdin.end(o.input ?? '');
  });
}

/** The median of some numbers (the upper one of the two middle values for an even count). */
export const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
