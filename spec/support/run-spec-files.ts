// The test process spec/run.ts starts: runs the spec files named on the command line in this
// one process, each loaded then run before the next is loaded (uvu's CLI loads them all
// first, and one that throws while loading ends the whole run). A file that cannot be
// loaded is a failure of that file; the next file still runs. What each file did goes to
// the parent as JSON lines on fd 3, so the parent can also tell which file a crash ended.
import { writeSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { describeError } from './before-all.js';

/** One line on fd 3. */
export type RunMessage =
  | { type: 'start'; file: string }
  /** Counts of one suite, or of one failure that is not a test's (`problem` says which). */
  | { type: 'count'; file: string; passed: number; failed: number; skipped: number; problem?: string }
  | { type: 'end'; file: string }
  | { type: 'done' };

type SuiteRun = () => Promise<[errors: string | true, passed: number, skipped: number, total: number]>;
const g = globalThis as unknown as { UVU_DEFER?: number; UVU_QUEUE: unknown[][]; UVU_INDEX?: number };

const tell = (m: RunMessage) => writeSync(3, JSON.stringify(m) + '\n');
const write = (s: string) => process.stdout.write(s);
const fail = (title: string, reason: string) => write(`\n   FAIL  "${title}"\n    ${reason.split('\n').join('\n    ')}\n\n`);

// Before uvu is loaded: test.run() then queues its suite instead of running it at once.
g.UVU_DEFER = 1;
const uvu = await import('uvu');

const [root, ...files] = process.argv.slice(2);
for (const [i, name] of files.entries()) {
  tell({ type: 'start', file: name });
  write(`${i ? '\n' : ''}${name}\n`);
  g.UVU_INDEX = 0;
  g.UVU_QUEUE = [[]];
  const problem = (what: string, reason: string) => {
    fail(what, reason);
    tell({ type: 'count', file: name, passed: 0, failed: 1, skipped: 0, problem: what });
  };
  let loaded = true;
  try {
    await import(pathToFileURL(`${root}/${name}`).href);
  } catch (e) {
    loaded = false;
    problem(`${name} could not be loaded`, describeError(e));
  }
  const suites = g.UVU_QUEUE[0] as SuiteRun[];
  if (loaded && !suites.length) {
    loaded = false;
    problem(`${name} queued no suite: is test.run() missing?`, 'a spec file ends with test.run() (or suite.run() for each suite)');
  }
  // Tests a broken file left on uvu's shared default suite would run with the next file's.
  if (!loaded) uvu.test.run();
  for (const run of loaded ? suites : []) {
    let result: Awaited<ReturnType<SuiteRun>>;
    try {
      result = await run();
    } catch (e) {
      // An after hook threw: uvu lets that one through.
      problem(`an after hook in ${name} failed`, describeError(e));
      continue;
    }
    const [errors, ran, skipped, total] = result;
    if (errors !== true) write(`\n${errors}\n`);
    // No error text yet tests missing: a hook threw and uvu swallowed it.
    const silent = errors === true && ran < total ? `${total - ran} of ${total} tests in ${name} did not run` : undefined;
    if (silent) fail(silent, 'a before hook (or an after.each hook) threw, and uvu does not say why: use beforeAll() from spec/support/before-all.ts');
    tell({ type: 'count', file: name, passed: ran, failed: total - ran, skipped, ...(silent ? { problem: silent } : {}) });
  }
  tell({ type: 'end', file: name });
}
tell({ type: 'done' });
// Failures went to the parent; what a test left in process.exitCode (deploy() sets it) is not one.
process.exitCode = 0;
