import { test } from 'uvu';
import { venvOp, type VenvArgs } from '../../lib/ops/venv.js';
import { opTable, sections } from '../support/op-harness.js';

const M = '::shipshape::';
// As printed on this machine for a venv made with --system-site-packages, and for no venv.
const venv = (cfg: string, stat = 'directory 755 root root 0 0') => sections(`${M}venv\npresent\n${M}cfg\n${cfg}\n${M}stat\n${stat}\n`);
const none = sections(`${M}venv\nabsent\n${M}cfg\n${M}stat\nabsent\n`);

opTable<VenvArgs>(venvOp, [
  {
    name: 'creates a missing venv and hands it to its owner',
    args: { path: '/opt/webapp/venv', owner: 'vagrant', group: 'vagrant' },
    probed: none,
    expect: {
      probe: ['if [ -f /opt/webapp/venv/bin/activate ] && [ -x /opt/webapp/venv/bin/python ]', "sed -n 's/^include-system-site-packages *= *//p' /opt/webapp/venv/pyvenv.cfg"],
      changes: [{ what: 'state', before: 'absent', after: 'venv' }],
      actions: [{ kind: 'exec', command: 'python3 -m venv /opt/webapp/venv' }, { kind: 'exec', command: 'chown -R vagrant:vagrant /opt/webapp/venv' }],
    },
  },
  {
    name: 'uses the given interpreter and system site packages',
    args: { path: '/opt/x', python: '/usr/bin/python3.11', systemSitePackages: true },
    probed: none,
    expect: { changes: [{ what: 'state' }], actions: [{ kind: 'exec', command: '/usr/bin/python3.11 -m venv --system-site-packages /opt/x' }] },
  },
  { name: 'does nothing for an existing venv', args: { path: '/tmp/vt', owner: 'root' }, probed: venv('true'), expect: { changes: [], noop: '/tmp/vt is a virtual environment owned by root' } },
  {
    name: 'switches system site packages off in place',
    args: { path: '/tmp/vt', systemSitePackages: false },
    probed: venv('true'),
    expect: { changes: [{ what: 'systemSitePackages', before: 'true', after: 'false' }], actions: [{ kind: 'exec', command: 'python3 -m venv /tmp/vt' }] },
  },
  {
    name: 'chowns a venv owned by someone else',
    args: { path: '/opt/webapp/venv', owner: 'vagrant' },
    probed: venv('false'),
    expect: { changes: [{ what: 'owner', before: 'root', after: 'vagrant' }], actions: [{ kind: 'exec', command: 'chown -R vagrant /opt/webapp/venv' }] },
  },
  { name: 'rejects a relative path', args: { path: 'venv' }, expect: { problems: ['path "venv" must be an absolute path'] } },
  { name: 'rejects a python with spaces', args: { path: '/v', python: 'python3 -I' }, expect: { problems: ['python "python3 -I" must be an interpreter name or path, like python3 or /usr/bin/python3.11'] } },
]);

test.run();
