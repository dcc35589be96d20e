// Runs every uvu suite (spec/**/*.spec.ts) in one process through tsx, shows uvu's output,
// then prints the closing line CI reads: "N passed, N failed".
// Usage: tsx spec/run.ts [pattern]   (pattern: a regexp on the file path; default all)
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const uvuBin = join(dirname(require.resolve('uvu')), '..', 'bin.js');
const only = process.argv[2];
const pattern = only ? `^(?=.*(?:${only})).*\\.spec\\.ts$` : '\\.spec\\.ts$';
const child = spawn(process.execPath, ['--import', 'tsx', uvuBin, 'spec', pattern], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
let text = '';
// uvu colours its output when something in the environment forces colour: CI logs get plain text.
const plain = (d: Buffer) => d.toString('utf8').replace(/\x1b\[[0-9;]*m/g, '');
child.stdout.on('data', (d: Buffer) => { const t = plain(d); process.stdout.write(t); text += t; });
child.on('close', (code) => {
  const num = (label: string) => Number(new RegExp(`${label}:\\s+(\\d+)`).exec(text)?.[1] ?? NaN);
  const total = num('Total');
  const passed = num('Passed');
  const skipped = num('Skipped') || 0;
  if (Number.isNaN(total) || Number.isNaN(passed)) {
    console.log(`0 passed, 1 failed`);
    console.error(`uvu did not print a summary (exit ${code})`);
    process.exit(1);
  }
  const failed = total - passed - skipped + (code !== 0 && total === passed ? 1 : 0);
  console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  process.exit(code === 0 && failed === 0 ? 0 : 1);
});
