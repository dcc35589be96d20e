import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ShipshapeError } from '../../lib/errors.js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aptInstalls, checkTools, INOTIFY_INSTANCES, mirrorSources, raiseInotifyLimit } from '../../lib/lab/preflight.js';

test('names a missing tool and the apt-get install that brings it', () => {
  try {
    checkTools({ sh: 'dash', 'no-such-lab-tool': 'lab-tools', 'no-such-other-tool': 'lab-tools' });
    assert.unreachable('should fail');
  } catch (e) {
    assert.instance(e, ShipshapeError);
    assert.is((e as ShipshapeError).message, 'the lab needs no-such-lab-tool, no-such-other-tool, not found on PATH');
    assert.is((e as ShipshapeError).fix, 'apt-get install -y lab-tools');
  }
});

test('systemd-nspawn is a lab tool, and the fix installs systemd-container without its Recommends', () => {
  try {
    checkTools({ 'no-such-lab-tool': 'lab-tools', 'no-such-nspawn': 'systemd-container' });
    assert.unreachable('should fail');
  } catch (e) {
    assert.instance(e, ShipshapeError);
    assert.is((e as ShipshapeError).fix, 'apt-get install -y lab-tools && apt-get install -y --no-install-recommends systemd-container');
  }
  assert.equal(aptInstalls(['systemd-container']), [['install', '-y', '--no-install-recommends', 'systemd-container']]);
});

test('builds bookworm sources on the mirror given in SHIPSHAPE_LAB_MIRROR', () => {
  const old = process.env.SHIPSHAPE_LAB_MIRROR;
  process.env.SHIPSHAPE_LAB_MIRROR = 'http://mirror.example.org/debian/';
  try {
    assert.equal(mirrorSources(), [
      'deb http://mirror.example.org/debian bookworm main',
      'deb http://mirror.example.org/debian bookworm-updates main',
      'deb http://mirror.example.org/debian-security bookworm-security main',
    ]);
  } finally {
    if (old === undefined) delete process.env.SHIPSHAPE_LAB_MIRROR;
    else process.env.SHIPSHAPE_LAB_MIRROR = old;
  }
});

test('reads this machine\'s own Debian mirror', () => {
  const lines = mirrorSources();
  assert.is(lines.length, 3);
  assert.match(lines[0]!, /^deb \S+ bookworm main$/);
  assert.match(lines[2]!, /^deb \S+ bookworm-security main$/);
});

test('the inotify instance limit is raised for many hosts, never lowered', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ss-inotify-'));
  try {
    const f = join(dir, 'max_user_instances');
    writeFileSync(f, '128\n');
    raiseInotifyLimit(f);
    assert.is(readFileSync(f, 'utf8').trim(), String(INOTIFY_INSTANCES));
    writeFileSync(f, '100000\n');
    raiseInotifyLimit(f);
    assert.is(readFileSync(f, 'utf8').trim(), '100000');
    raiseInotifyLimit(join(dir, 'absent'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
