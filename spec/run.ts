// Runs the uvu spec files (spec/**/*.spec.ts) one after another through tsx, shows their
// output, then prints the closing line CI reads: "N passed, N failed".
// Usage: tsx spec/run.ts [pattern]   (pattern: a regexp on the file path; default all)
//
// The files run in one test process (spec/support/run-spec-files.ts), loaded one at a time:
// a file that throws while loading fails on its own. When the process dies (a crash, an
// exit), the file it was running fails with the reason and a new process runs the rest:
// one process per file would cost a tsx start and a fresh pack of the checkout for each.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { RunMessage } from './support/run-spec-files.js';

const specDir = dirname(fileURLToPath(import.meta.url));
const only = process.argv[2];
const pattern = new RegExp(only ? `^(?=.*(?:${only})).*\\.spec\\.ts$` : '\\.spec\\.ts$', 'i');
const started = performance.now();

/** Spec files under spec/, relative, sorted as uvu sorts them. */
function specFiles(dir: string, rel = ''): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = rel ? `${rel}/${name}` : name;
    if (name === 'node_modules' || name.startsWith('.')) return [];
    if (statSync(join(dir, name)).isDirectory()) return specFiles(join(dir, name), path);
    return pattern.test(path) ? [path] : [];
  }).sort((a, b) => a.localeCompare(b));
}

interface Count { passed: number; failed: number; skipped: number; problem?: string }

// uvu colours its output when something in the environment forces colour: CI logs get plain text.
const plain = (d: Buffer | string) => d.toString().replace(/\x1b\[[0-9;]*m/g, '');

/**
 * Runs `files` in one test process. Resolves with the counts it reported, how many files it
 * finished, and, when it died before the end, the failure that stands for that.
 */
function runFiles(files: string[], stateDir: string): Promise<{ counts: Count[]; finished: number; died?: Count }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(specDir, 'support', 'run-spec-files.ts'), specDir, ...files], {
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      // FORCE_COLOR as uvu's CLI sets it, so the code under test sees what it always saw.
      env: { ...process.env, SHIPSHAPE_STATE_DIR: stateDir, FORCE_COLOR: '1' },
    });
    const counts: Count[] = [];
    let finished = 0;
    let running: string | undefined;
    let done = false;
    let pending = '';
    // stderr since the current file started: what a crash said.
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => process.stdout.write(plain(d)));
    child.stderr!.on('data', (d: Buffer) => { process.stderr.write(d); stderr = (stderr + plain(d)).slice(-4000); });
    (child.stdio[3] as Readable).on('data', (d: Buffer) => {
      pending += d.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        const m = JSON.parse(line) as RunMessage;
        if (m.type === 'start') { running = m.file; stderr = ''; }
        else if (m.type === 'count') counts.push(m);
        else if (m.type === 'end') { finished++; running = undefined; }
        else done = true;
      }
    });
    child.on('close', (code, signal) => {
      if (done && code === 0) return resolve({ counts, finished });
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      const where = done ? 'after the last file' : running ? `while ${running} ran` : finished ? `after ${files[finished - 1]}` : 'before it ran a file';
      const said = stderr.trim().split('\n').slice(-12).join('\n    ');
      console.log(`\n   FAIL  "the test process ${how} ${where}"\n    ${said || '(nothing on stderr)'}\n`);
      // The file it died in counts as finished: the next process starts with the one after.
      // One that died before its first file would die again: stop there.
      const next = running ? finished + 1 : finished || files.length;
      resolve({ counts, finished: next, died: { passed: 0, failed: 1, skipped: 0, problem: `the test process ${how} ${where}` } });
    });
  });
}

const files = specFiles(specDir);
// Hosts on the local transport keep their pending handlers here, not in this machine's /var/lib/shipshape.
const stateDir = mkdtempSync(join(tmpdir(), 'shipshape-state-'));
const counts: Count[] = [];
for (let rest = files; rest.length;) {
  const r = await runFiles(rest, stateDir);
  counts.push(...r.counts, ...(r.died ? [r.died] : []));
  rest = rest.slice(r.finished);
}
rmSync(stateDir, { recursive: true, force: true });

const sum = (k: 'passed' | 'failed' | 'skipped') => counts.reduce((n, r) => n + r[k], 0);
let [passed, failed, skipped] = [sum('passed'), sum('failed'), sum('skipped')];
if (!files.length) {
  console.log(`no spec file matches ${pattern}`);
  failed++;
}
console.log(`\n  Total:     ${passed + failed}\n  Passed:    ${passed}\n  Skipped:   ${skipped}\n  Duration:  ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
const problems = counts.flatMap((c) => (c.problem ? [c.problem] : []));
if (problems.length) console.log(`Failures that are not a test's:\n${problems.map((p) => `  ${p}`).join('\n')}\n`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed === 0 ? 0 : 1);
