// A webapp rerun where nothing changed starts no Python on the host: pip's probe reads the
// venv's site-packages and the supervisor task reads /proc, on a real lab host. Wrappers in
// place of supervisorctl and the venv's python count every start; the interpreter's atime
// catches any other. Odd layouts fall back to pip / supervisorctl once, and a stopped program
// is still started. Ports 24980 (ssh), 24981 (web).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { LabHost } from '../../lib/lab/index.js';
import { beforeAll } from '../support/before-all.js';
import { ssh, withLab } from '../support/lab.js';
import { deployWebapp, failures, page, webUrl, type Run } from './webapp-helpers.js';

const cluster = {
  nodes: [{
    host_name: 'np-01',
    port_mappings: [{ guest_port: 22, host_port: 24980, host_ip: '127.0.0.1' }, { guest_port: 80, host_port: 24981, host_ip: '127.0.0.1' }],
  }],
};

let host: LabHost;
let clusterFile: string;
let release: () => void = () => undefined;
let lab: Promise<void> | undefined;
const timings: string[] = [];

beforeAll(test, 'lab up', () => new Promise<void>((ready, fail) => {
  const held = new Promise<void>((r) => { release = r; });
  lab = withLab(cluster, async (hosts, file) => { host = hosts[0]!; clusterFile = file; ready(); await held; });
  lab.catch(fail);
}));

test.after(async () => {
  release();
  await lab?.catch(() => undefined);
  if (timings.length) console.log(`\n  no-change webapp reruns: ${timings.join('; ')}`);
});

const root = async (command: string) => {
  const r = await ssh(host, command, { user: 'root' });
  assert.is(r.code, 0, `${command}: ${r.stderr}`);
  return r.stdout.trim();
};

const LOG = '/run/shipshape-python-starts';
const VENV_PY = '/opt/webapp/venv/bin/python';
// Each wrapper logs its arguments, then runs the real thing, so deploys work as before.
const COUNT_STARTS = [
  `: > ${LOG}`,
  'mv /usr/bin/supervisorctl /usr/bin/supervisorctl.counted',
  `printf '#!/bin/sh\\necho "supervisorctl $*" >> ${LOG}\\nexec /usr/bin/python3 /usr/bin/supervisorctl.counted "$@"\\n' > /usr/bin/supervisorctl`,
  'chmod 755 /usr/bin/supervisorctl',
  `rm ${VENV_PY}`,
  `printf '#!/bin/sh\\necho "python $*" >> ${LOG}\\nexec ${VENV_PY}3 "$@"\\n' > ${VENV_PY}`,
  `chmod 755 ${VENV_PY}`,
].join(' && ');

/** The real interpreter's atime, set far back first so any exec moves it (relatime). */
const INTERPRETER = '$(readlink -f /usr/bin/python3)';
const resetAtime = () => root(`touch -a -d '2001-01-01 00:00:00' ${INTERPRETER} && stat -c %X ${INTERPRETER}`);
const atime = () => root(`stat -c %X ${INTERPRETER}`);
const starts = async () => (await root(`cat ${LOG}`)).split('\n').filter(Boolean);

function assertNoChange(r: Run, when: string) {
  assert.ok(r.result.ok, `${when}: ${failures(r)}`);
  assert.is(r.result.hosts['np-01']?.changed, 0, `${when}: ${r.changed('np-01').join(', ')}`);
  assert.equal(r.handlersRun('np-01'), [], `${when}: handlers`);
  for (const w of r.waits('np-01')) assert.match(w, /: ok$/, `${when}: ${w}`);
}

async function rerun(label: string): Promise<Run> {
  const r = await deployWebapp(clusterFile, {});
  timings.push(`${label} ${r.seconds.toFixed(2)} s`);
  return r;
}

test('a no-change rerun starts neither pip, nor supervisorctl, nor any Python, and still changes nothing', async () => {
  const first = await deployWebapp(clusterFile, {});
  assert.ok(first.result.ok, failures(first));
  assert.equal(await page(webUrl(host)), { status: 200, body: 'Hello, World!\n' });
  await root(COUNT_STARTS);
  // /proc says RUNNING once the program has been up startsecs (1 s) and a second more.
  await new Promise((r) => setTimeout(r, 3500));
  for (const i of [1, 2, 3]) {
    const before = await resetAtime();
    const r = await rerun(`rerun ${i}`);
    assertNoChange(r, `rerun ${i}`);
    assert.equal(await starts(), [], `rerun ${i}: Python was started`);
    assert.is(await atime(), before, `rerun ${i}: the interpreter was executed`);
  }
  // The atime check can see an exec at all: python3 -c pass moves it.
  const before = await resetAtime();
  await root('python3 -c pass');
  assert.is.not(await atime(), before, 'this host records exec atimes');
  assert.equal(await page(webUrl(host)), { status: 200, body: 'Hello, World!\n' });
});

test('a venv that sees the system site-packages is listed by pip, once, and nothing changes', async () => {
  await root(`sed -i 's/^include-system-site-packages = false/include-system-site-packages = true/' /opt/webapp/venv/pyvenv.cfg && : > ${LOG}`);
  try {
    const r = await deployWebapp(clusterFile, {}, {});
    // The venv op leaves the setting alone when it is not asked for one.
    assertNoChange(r, 'system site-packages');
    assert.equal(await starts(), ['python -m pip list --format=freeze --disable-pip-version-check']);
  } finally {
    await root("sed -i 's/^include-system-site-packages = true/include-system-site-packages = false/' /opt/webapp/venv/pyvenv.cfg");
  }
});

test('without supervisord\'s pidfile the task asks supervisorctl, once, and nothing changes', async () => {
  await root(`mv /run/supervisord.pid /run/supervisord.pid.away && : > ${LOG}`);
  try {
    const r = await deployWebapp(clusterFile, {});
    assertNoChange(r, 'no pidfile');
    assert.equal(await starts(), ['supervisorctl status app']);
  } finally {
    await root('mv /run/supervisord.pid.away /run/supervisord.pid');
  }
});

test('a stopped program is seen as not running and started, and the page is served again', async () => {
  await root('supervisorctl stop app');
  const r = await deployWebapp(clusterFile, {});
  assert.ok(r.result.ok, failures(r));
  assert.equal(r.changed('np-01'), ['app running under supervisor']);
  assert.match(await root('supervisorctl status app'), /^app\s+RUNNING/);
  assert.equal(await page(webUrl(host)), { status: 200, body: 'Hello, World!\n' });
});

test.run();
