import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseDeployArgs } from '../../lib/engine/deploy.js';

test('deploy() understands --check, --diff, --limit, --forks and --json', () => {
  assert.equal(parseDeployArgs(['--check', '--diff', '--limit', 'web-01,db', '--forks', '5', '--json', 'out.json']), {
    check: true, diff: true, limit: ['web-01', 'db'], forks: 5, json: 'out.json', acceptNewHostKeys: undefined,
  });
  assert.equal(parseDeployArgs([]).check, undefined);
});

test('an unknown flag or a bad --forks is an error that shows the usage', () => {
  assert.throws(() => parseDeployArgs(['--chek']), (e: Error & { fix?: string }) => /--chek/.test(e.message) && /usage/.test(e.fix!));
  assert.throws(() => parseDeployArgs(['--forks', '0']), /--forks 0/);
});

test.run();
