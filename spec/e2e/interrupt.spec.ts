// Interrupts as a user sends them to `tsx deploy.ts`: the first SIGINT/SIGTERM stops the
// running command (reported aborted), starts nothing new, prints the recap and exits 130/143;
// a second one ends everything at once. No command the run started outlives it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tmpDir } from '../support/tmp.js';
import { running as alive, settles, waitFor } from '../support/wait.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '../..');
const tsxCli = join(repo, 'node_modules/tsx/dist/cli.mjs');

/** A deploy.ts whose first task records its child's pid in `pidFile`, then waits 60 s. */
function deployFile(dir: string, firstTask: string): string {
  const file = join(dir, 'deploy.ts');
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  writeFileSync(file, `
import { host, deploy } from ${JSON.stringify(join(repo, 'lib/index.ts'))};
host('localhost', { transport: 'local', stateDir: ${JSON.stringify(join(dir, 'state'))} })
  .shell(${JSON.stringify(firstTask)}, { name: 'long task' })
  .shell('touch ${join(dir, 'second')}', { name: 'second task' });
await deploy();
`);
  return file;
}


/**
 * Runs the deploy in its own process group and, once the pid file is written, signals the
 * group as a terminal's Ctrl-C does (tsx's CLI and the deploy under it both get it; tsx alone
 * relays with a 30 ms wait, then SIGKILLs its child). A second signal waits for `second`, the
 * first one's effect: two signals sent back to back can arrive as one.
 */
async function interrupt(file: string, pidFile: string, signal: NodeJS.Signals, second?: { signal: NodeJS.Signals; after: () => boolean }): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, [tsxCli, file], { cwd: dirname(file), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const group = (s: NodeJS.Signals) => { try { process.kill(-child.pid!, s); } catch { /* gone */ } };
  try {
    await waitFor('the long task to write its pid file', () => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '');
    group(signal);
    if (second) {
      await waitFor('the first signal to reach the command', second.after);
      group(second.signal);
    }
    return { code: await settles('the deploy after the signals', exited, 45_000), out };
  } catch (e) {
    group('SIGKILL');
    throw new Error(`${(e as Error).message}; output so far:\n${out}`);
  }
}

test('Ctrl-C (SIGINT) stops the running command, reports it aborted, prints the recap and exits 130', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    const pidFile = join(dir, 'pid');
    const r = await interrupt(deployFile(dir, `sleep 60 & echo $! > ${pidFile}; wait`), pidFile, 'SIGINT');
    assert.is(r.code, 130, r.out);
    assert.match(r.out, /localhost \| long task \| aborted \(interrupted while it ran\)/);
    assert.match(r.out, /localhost \| second task \| skipped \(the run was aborted\)/);
    assert.match(r.out, /RECAP\nlocalhost\s+: ok=0\s+changed=0\s+unreachable=0\s+failed=0\s+skipped=1\s+aborted=1/);
    assert.match(r.out, 'ABORTED');
    assert.not.ok(existsSync(join(dir, 'second')));
    const pid = Number(readFileSync(pidFile, 'utf8'));
    await waitFor('the command\'s child to be gone (no orphan)', () => !alive(pid));
  } finally { cleanup(); }
});

test('SIGTERM does the same and exits 143', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    const pidFile = join(dir, 'pid');
    const r = await interrupt(deployFile(dir, `sleep 60 & echo $! > ${pidFile}; wait`), pidFile, 'SIGTERM');
    assert.is(r.code, 143, r.out);
    assert.match(r.out, /long task \| aborted/);
    assert.match(r.out, 'RECAP');
    const pid = Number(readFileSync(pidFile, 'utf8'));
    await waitFor('the command\'s child to be gone (no orphan)', () => !alive(pid));
  } finally { cleanup(); }
});

test('a second Ctrl-C ends at once, even when the command ignores SIGTERM, leaving no process behind', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    const pidFile = join(dir, 'pid');
    const termFile = join(dir, 'term');
    // The command's child ignores TERM: the first interrupt cannot stop it, the second ends
    // everything. The shell notes each TERM it gets, so the second Ctrl-C follows the first's.
    const command = `trap 'echo TERM >> ${termFile}' TERM; (trap '' TERM; exec sleep 60) & echo $! > ${pidFile}; while kill -0 $! 2>/dev/null; do wait $!; done`;
    const r = await interrupt(deployFile(dir, command), pidFile, 'SIGINT', { signal: 'SIGINT', after: () => existsSync(termFile) });
    assert.is(r.code, 130, r.out);
    // The first one alone ends in order after a grace period, recap included.
    assert.not.match(r.out, 'RECAP', `the second Ctrl-C ended the run at once:\n${r.out}`);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    await waitFor('the TERM-ignoring command to be killed, not orphaned', () => !alive(pid));
  } finally { cleanup(); }
});

test.run();
