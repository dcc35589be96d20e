import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { pipOp, type PipArgs } from '../../../lib/ops/pip.js';
import { venvOp } from '../../../lib/ops/venv.js';
import { snapshot } from '../../support/tmp.js';
import { idempotent, run, scratch, twice, whats } from './local-run.js';

// PyPI is out of reach: pip installs hand-built wheels of a tiny package from a local folder.
const BUILD_WHEELS = `
import base64, hashlib, sys, zipfile
def rec(b): return 'sha256=' + base64.urlsafe_b64encode(hashlib.sha256(b).digest()).rstrip(b'=').decode()
for ver in sys.argv[2:]:
    info = f'shipshape_demo-{ver}.dist-info'
    files = {'shipshape_demo/__init__.py': f'VERSION = "{ver}"\\n'.encode(),
             f'{info}/METADATA': f'Metadata-Version: 2.1\\nName: shipshape-demo\\nVersion: {ver}\\n'.encode(),
             f'{info}/WHEEL': b'Wheel-Version: 1.0\\nGenerator: shipshape-spec\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n'}
    record = ''.join(f'{k},{rec(v)},{len(v)}\\n' for k, v in files.items()) + f'{info}/RECORD,,\\n'
    with zipfile.ZipFile(f'{sys.argv[1]}/shipshape_demo-{ver}-py3-none-any.whl', 'w') as z:
        for k, v in files.items(): z.writestr(k, v)
        z.writestr(f'{info}/RECORD', record)
`;

const wheels = scratch();
execFileSync('python3', ['-c', BUILD_WHEELS, wheels, '1.0']);
const offline = ['--no-index', '--find-links', wheels];
let venv = '';

const version = () => execFileSync(join(venv, 'bin/python'), ['-c', 'import shipshape_demo; print(shipshape_demo.VERSION)'], { encoding: 'utf8' }).trim();
const pip = (a: Omit<PipArgs, 'venv'>) => ({ venv, extraArgs: offline, ...a });

test('venv is created once and handed to its owner', async () => {
  const { dir } = await idempotent(venvOp, (d) => ({ path: join(d, 'venv'), owner: 'nobody', group: 'nogroup' }));
  venv = join(dir, 'venv');
  assert.ok(existsSync(join(venv, 'bin/activate')));
  assert.is(statSync(join(venv, 'bin/activate')).uid, 65534, 'chown -R reached the tree');
  assert.is(statSync(venv).uid, 65534);
});

test('venv switches system site packages in place and back', async () => {
  const [on, onAgain] = await twice(venvOp, { path: venv, systemSitePackages: true, owner: 'nobody' });
  assert.equal(whats(on), ['systemSitePackages']);
  assert.not.ok(onAgain.changed);
  assert.match(readFileSync(join(venv, 'pyvenv.cfg'), 'utf8'), 'include-system-site-packages = true');
  assert.is(statSync(join(venv, 'pyvenv.cfg')).uid, 65534, 'the rewrite is chowned again');
  const [off] = await twice(venvOp, { path: venv, systemSitePackages: false, owner: 'nobody' });
  assert.equal(whats(off), ['systemSitePackages']);
});

test('pip installs a pinned package from a local wheelhouse once', async () => {
  const before = snapshot(venv);
  const checked = await run(pipOp, pip({ packages: ['shipshape_demo==1.0'] }), { check: true });
  assert.equal(whats(checked), ['package shipshape-demo']);
  assert.is(snapshot(venv), before, 'check mode installed nothing');
  const [first, second] = await twice(pipOp, pip({ packages: ['shipshape_demo==1.0'] }));
  assert.ok(first.changed);
  assert.not.ok(second.changed, JSON.stringify(whats(second)));
  assert.is(version(), '1.0');
});

test('pip latest upgrades when the wheelhouse gets a newer version, then does nothing', async () => {
  execFileSync('python3', ['-c', BUILD_WHEELS, wheels, '1.1']);
  const [first, second] = await twice(pipOp, pip({ packages: ['shipshape-demo'], state: 'latest' }));
  assert.equal(first.diff.changes.map((c) => `${c.what} ${c.before}→${c.after}`), ['package shipshape-demo 1.0→1.1']);
  assert.not.ok(second.changed, JSON.stringify(whats(second)));
  assert.is(version(), '1.1');
});

test('pip installs a requirements file once, and again when the file changes', async () => {
  const req = join(scratch(), 'requirements.txt');
  writeFileSync(req, 'shipshape-demo>=1.1\n');
  const [first, second] = await twice(pipOp, pip({ requirements: req }));
  assert.equal(first.diff.changes.map((c) => c.before), ['never installed']);
  assert.not.ok(second.changed, JSON.stringify(whats(second)));
  assert.match(readFileSync(join(venv, '.shipshape-requirements.sha256'), 'utf8'), `  ${req}\n`);
  writeFileSync(req, 'shipshape-demo==1.0\n');
  const [changed, again] = await twice(pipOp, pip({ requirements: req }));
  assert.ok(changed.changed);
  assert.not.ok(again.changed);
  assert.is(version(), '1.0');
});

test('pip absent uninstalls once', async () => {
  const [first, second] = await twice(pipOp, { venv, packages: ['shipshape-demo'], state: 'absent' });
  assert.equal(whats(first), ['package shipshape-demo']);
  assert.not.ok(second.changed);
});

test.run();
