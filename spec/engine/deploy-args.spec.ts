import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createProject } from '../../lib/dsl/project.js';
import { deployProject, parseDeployArgs } from '../../lib/engine/deploy.js';

test('deploy() understands --check, --diff, --limit, --forks, --json and --force-handlers', () => {
  assert.equal(parseDeployArgs(['--check', '--diff', '--limit', 'web-01,db', '--forks', '5', '--json', 'out.json', '--force-handlers']), {
    check: true, diff: true, limit: ['web-01', 'db'], forks: 5, json: 'out.json', forceHandlers: true, acceptNewHostKeys: undefined, help: undefined,
  });
  assert.equal(parseDeployArgs([]).check, undefined);
  assert.equal(parseDeployArgs(['--limit', 'a', '--limit', 'b']).limit, ['a', 'b']);
});

test('an unknown flag or a bad --forks is an error that shows the usage, with the closest flag', () => {
  assert.throws(() => parseDeployArgs(['--chek']), (e: Error & { fix?: string }) => /--chek \(did you mean --check\?\)/.test(e.message) && /usage/.test(e.fix!));
  assert.throws(() => parseDeployArgs(['--forks', '0']), /--forks 0 is not a positive whole number/);
  assert.throws(() => parseDeployArgs(['--forks', '2x']), /--forks 2x/);
  assert.throws(() => parseDeployArgs(['deploy.ts']), /unexpected argument "deploy.ts"/);
});

test('a flag without its value, or an empty selection, is an error: nothing runs on a guess', () => {
  for (const argv of [['--limit'], ['--limit', '--check'], ['--json'], ['--forks'], ['-l'], ['--json', '']]) {
    assert.throws(() => parseDeployArgs(argv), /needs a value/, argv.join(' '));
  }
  for (const argv of [['--limit', ''], ['--limit', ','], ['--limit', ' , '], ['--limit=']]) {
    assert.throws(() => parseDeployArgs(argv), /--limit|needs a value/, JSON.stringify(argv));
    assert.throws(() => parseDeployArgs(argv), (e: Error) => !/undefined/.test(e.message), JSON.stringify(argv));
  }
});

test('parsing many times gives the same answer (the flag table is not changed by parsing)', () => {
  for (let i = 0; i < 100; i++) assert.equal(parseDeployArgs(['-l', 'a', '-f', '3']), { check: undefined, diff: undefined, limit: ['a'], forks: 3, json: undefined, forceHandlers: undefined, acceptNewHostKeys: undefined, help: undefined });
});

test('tsx deploy.ts --help prints the flags and runs nothing (exit 0)', async () => {
  const p = createProject();
  p.host('web-01').shell('true');
  let connects = 0;
  let printed = '';
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((s: string) => { printed += s; return true; }) as typeof process.stdout.write;
  try {
    const r = await deployProject(p, { argv: ['--help'], keepExitCode: true, connect: async () => { connects++; throw new Error('no'); } });
    assert.is(r.exitCode, 0);
  } finally { process.stdout.write = write; }
  assert.is(connects, 0);
  assert.match(printed, 'usage: tsx deploy.ts');
  for (const f of ['--check', '--diff', '--limit', '--forks', '--json', '--force-handlers', '--accept-new-host-keys', '--help']) assert.match(printed, f);
});

test.run();
