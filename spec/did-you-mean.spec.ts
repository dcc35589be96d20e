import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closestMatch, didYouMean } from '../lib/did-you-mean.js';

const FILE_KEYS = ['path', 'state', 'content', 'src', 'target', 'force', 'owner', 'group', 'mode', 'notify', 'when', 'become', 'name'];

test('suggests the closest key for a typo: extra, missing, swapped or wrong letters, any case', () => {
  const cases: [string, string[], string][] = [
    ['contents', FILE_KEYS, 'content'],
    ['mdoe', FILE_KEYS, 'mode'],
    ['ownr', FILE_KEYS, 'owner'],
    ['Notify', FILE_KEYS, 'notify'],
    ['prot', ['port', 'appDir', 'owner'], 'port'],
    ['updatecache', ['packages', 'state', 'updateCache', 'cacheValidTime'], 'updateCache'],
    ['--forsk', ['--forks', '--check', '--diff', '--limit'], '--forks'],
  ];
  for (const [word, candidates, want] of cases) assert.is(closestMatch(word, candidates), want, word);
});

test('suggests nothing absurdly far away', () => {
  for (const word of ['x', 'zz', 'foo', 'banana', 'permissions', 'chmod', 'grp']) assert.is(closestMatch(word, FILE_KEYS), undefined, word);
  assert.is(closestMatch('anything', []), undefined);
});

test('the nearest of several close candidates wins', () => {
  assert.is(closestMatch('group', ['groups', 'group']), 'group');
  assert.is(closestMatch('groupz', ['groups', 'gid']), 'groups');
});

test('didYouMean reads as the end of a message, or is empty', () => {
  assert.is(`unknown option contents${didYouMean('contents', FILE_KEYS)}`, 'unknown option contents (did you mean content?)');
  assert.is(didYouMean('banana', FILE_KEYS), '');
});

test.run();
