// Runs every uvu suite (spec/**/*.spec.ts) in one process through tsx, shows uvu's output,
// then prints the closing line CI reads: "N passed, N failed".
// Usage: tsx spec/run.ts [pattern]   (pattern: a regexp on the file path; default all)
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const uvuBin = join(dirname(require.resolve('uvu')), '..', 'bin.js');
const only = process.argv[2];
const pattern = only ? `^(?=.*(?:${only})).*\\.spec\\.ts$` : '\\.spec\\.ts$';
// Hosts on the local transport keep their pending handlers here, not in this machine's /var/lib/shipshape.
const stateDir = mkdtempSync(join(tmpdir(), 'shipshape-state-'));
const child = spawn(process.execPath, ['--import', 'tsx', uvuBin, 'spec', pattern], {
  stdio: ['ignore', 'pipe', 'inherit'],
  env: { ...process.env, SHIPSHAPE_STATE_DIR: stateDir },
});
let text = '';
// uvu colours its output when something in the environment forces colour: CI logs get plain text.
const plain = (d: Buffer) => d.toString('utf8').replace(/\x1b\[[0-9;]*m/g, '');
child.stdout.on('data', (d: Buffer) => { const t = plain(d); process.stdout.write(t); text += t; });
child.on('close', (code) => {
  rmSync(stateDir, { recursive: true, force: true });
  const num = (label: string) => Number(new RegExp(`${label}:\\s+(\\d+)`).exec(text)?.[1] ?? NaN);
  const total = num('Total');
  const passed = num('Passed');
  const skipped = num('Skipped') || 0;
  if (Number.isNaN(total) || Number.isNaN(passed)) {
    console.log(`0 passed, 1 failed`);
    console.error(`uvu did not print a summary (exit ${code})`);
    process.exit(1);
  }
  // uvu's Total leaves skipped tests out already.
  const failed = total - passed + (code !== 0 && total === passed ? 1 : 0);
  console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  process.exit(code === 0 && failed === 0 ? 0 : 1);
});
