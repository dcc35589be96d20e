import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RUN_FLAGS } from '../bin/run.js';
import { parseDeployArgs } from '../lib/engine/deploy.js';
import { ShipshapeError } from '../lib/errors.js';
import { flagHelp, parseFlags, type Flag } from '../lib/flags.js';

const FLAGS: Flag[] = [
  { name: 'inventory', short: 'i', value: 'FILE', help: 'the inventory' },
  { name: 'limit', short: 'l', value: 'NAMES', multiple: true, help: 'hosts' },
  { name: 'become', short: 'b', help: 'as root' },
];
const ctx = { command: 'shipshape exec', usage: 'shipshape exec -i FILE -- COMMAND' };

function error(argv: string[]): ShipshapeError {
  try {
    parseFlags(argv, FLAGS, ctx);
  } catch (e) {
    assert.instance(e, ShipshapeError);
    return e as ShipshapeError;
  }
  assert.unreachable(`${JSON.stringify(argv)} was accepted`);
  throw new Error('unreachable');
}

test('reads switches, values, repeated lists and everything after --', () => {
  const r = parseFlags(['-i', 'c.json', '--limit=web-01,db', '-l', 'cache', '-b', '--', 'uptime', '-p'], FLAGS, ctx);
  assert.equal(r.values, { inventory: 'c.json', limit: ['web-01', 'db', 'cache'], become: true });
  assert.equal(r.positionals, ['uptime', '-p']);
  assert.equal(r.positionalIndex, [7, 8]);
});

test('an unknown flag is an error naming the closest valid flag', () => {
  const e = error(['--limt', 'web-01']);
  assert.is(e.message, 'shipshape exec: unknown option --limt (did you mean --limit?)');
  assert.match(e.fix!, 'shipshape exec -i FILE -- COMMAND');
  assert.is(error(['--inventroy=c.json']).message, 'shipshape exec: unknown option --inventroy (did you mean --inventory?)');
  assert.is(error(['-x']).message, 'shipshape exec: unknown option -x', 'no guess for one letter');
  assert.is(error(['--frobnicate']).message, 'shipshape exec: unknown option --frobnicate', 'no guess when nothing is close');
});

test('a flag that needs a value and has none is an error, whichever way it is missing', () => {
  assert.is(error(['--limit']).message, 'shipshape exec: --limit needs a value (NAMES), but nothing follows it');
  assert.is(error(['--limit', '']).message, 'shipshape exec: --limit needs a value (NAMES), but it is empty');
  assert.is(error(['--limit=']).message, 'shipshape exec: --limit needs a value (NAMES), but it is empty');
  assert.is(error(['-i']).message, 'shipshape exec: -i needs a value (FILE), but nothing follows it');
  assert.is(error(['-i', '--become']).message, 'shipshape exec: -i needs a value (FILE), but --become is a flag');
  assert.is(error(['--limit', ',']).message, 'shipshape exec: --limit "," names nothing');
});

test('a switch given a value is an error', () => {
  assert.is(error(['--become=yes']).message, 'shipshape exec: --become takes no value (got "yes")');
});

test('an unknown flag after an argument gets the fix for arguments', () => {
  const e = (() => { try { parseFlags(['uptime', '-p'], FLAGS, { ...ctx, afterPositional: 'put the command after --' }); } catch (x) { return x as ShipshapeError; } })();
  assert.is(e?.message, 'shipshape exec: unknown option -p');
  assert.match(e!.fix!, 'put the command after --');
});

test('help lists every flag with its short form and value, aligned', () => {
  assert.is(flagHelp(FLAGS), [
    '  -i, --inventory FILE  the inventory',
    '  -l, --limit NAMES     hosts',
    '  -b, --become          as root',
  ].join('\n'));
});

test('every flag `shipshape run` checks is one deploy() accepts', () => {
  for (const f of RUN_FLAGS.filter((x) => x.name !== 'help')) {
    const value = f.name === 'forks' || f.name === 'serial' || f.name === 'max-fail-percent' ? ['3'] : f.value ? ['x'] : [];
    for (const spelled of [`--${f.name}`, ...(f.short ? [`-${f.short}`] : [])]) {
      assert.not.throws(() => parseDeployArgs([spelled, ...value]), `deploy() rejects ${spelled}`);
    }
  }
});

test('a count flag counts every time it is given, however it is spelled', () => {
  const flags: Flag[] = [...FLAGS, { name: 'verbose', short: 'v', count: true, help: 'more output' }];
  const count = (argv: string[]) => parseFlags(argv, flags, ctx).values.verbose;
  assert.is(count([]), undefined);
  assert.is(count(['-v']), 1);
  assert.is(count(['-vv']), 2);
  assert.is(count(['-v', '-v']), 2);
  assert.is(count(['--verbose', '-vv', '--verbose']), 4);
  assert.equal(parseFlags(['-bv', '-l', 'web'], flags, ctx).values, { become: true, verbose: 1, limit: ['web'] }, 'grouped with another switch');
  assert.throws(() => parseFlags(['--verbose=2'], flags, ctx), /--verbose takes no value/);
});

test('deploy() reads --tags and --skip-tags as lists, and -v, -vv, --verbose and --quiet', () => {
  assert.equal(parseDeployArgs(['--tags', 'web,nginx', '-t', 'db', '--skip-tags', 'slow']), {
    ...parseDeployArgs([]), tags: ['web', 'nginx', 'db'], skipTags: ['slow'],
  });
  assert.is(parseDeployArgs(['-v']).verbosity, 1);
  assert.is(parseDeployArgs(['-vv']).verbosity, 2);
  assert.is(parseDeployArgs(['-v', '--verbose']).verbosity, 2);
  assert.is(parseDeployArgs(['--quiet']).quiet, true);
  assert.is(parseDeployArgs(['-q']).quiet, true);
  assert.equal(Object.keys(parseDeployArgs([])).filter((k) => ['tags', 'skipTags', 'verbosity', 'quiet'].includes(k)), [], 'absent when not given');
});

test('--tags or --skip-tags without a tag is an error before anything runs', () => {
  for (const argv of [['--tags'], ['--tags', ''], ['--tags', ','], ['--skip-tags', '--check'], ['-t']]) {
    assert.throws(() => parseDeployArgs(argv), /--tags|--skip-tags|-t/, JSON.stringify(argv));
    assert.throws(() => parseDeployArgs(argv), /needs a value|names nothing/, JSON.stringify(argv));
  }
});

test.run();
