import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { addKnownHosts, knownHostName, knownHostsTagged, removeKnownHosts } from '../../lib/lab/known-hosts.js';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINEWNEWNEW';
const OLD = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOLDOLDOLD';
const TAG = 'shipshape-lab-0123456789ab';

function hashed(name: string): string {
  const salt = randomBytes(20);
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
}

function withFile(content: string, fn: (file: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'ss-kh-'));
  try {
    const file = join(dir, 'known_hosts');
    writeFileSync(file, content);
    fn(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('names a host the way ssh does for port 22 and for other ports', () => {
  assert.is(knownHostName('10.77.0.11', 22), '10.77.0.11');
  assert.is(knownHostName('127.0.0.1', 22003), '[127.0.0.1]:22003');
});

test('replaces stale lines for the same address and port, plain or hashed, and keeps the rest', () => {
  const stale = hashed('[127.0.0.1]:22003');
  withFile([
    `github.com ${OLD}`,
    `[127.0.0.1]:22003 ${OLD}`,
    `${stale} ${OLD}`,
    `10.77.0.11,10.77.0.99 ${OLD}`,
    `@revoked 10.77.0.11 ${OLD}`,
    '',
  ].join('\n'), (file) => {
    addKnownHosts(file, [{ host: '10.77.0.11', key: KEY }, { host: '[127.0.0.1]:22003', key: KEY }], TAG);
    assert.is(readFileSync(file, 'utf8'), [
      `github.com ${OLD}`,
      `10.77.0.99 ${OLD}`,
      `@revoked 10.77.0.11 ${OLD}`,
      `10.77.0.11 ${KEY} ${TAG}`,
      `[127.0.0.1]:22003 ${KEY} ${TAG}`,
      '',
    ].join('\n'));
  });
});

test('writing the same entries twice leaves one line per entry', () => {
  withFile('', (file) => {
    addKnownHosts(file, [{ host: '10.77.0.12', key: KEY }], TAG);
    addKnownHosts(file, [{ host: '10.77.0.12', key: KEY }], TAG);
    assert.equal(knownHostsTagged(file, TAG), [`10.77.0.12 ${KEY} ${TAG}`]);
  });
});

test('removes only the lines it tagged', () => {
  withFile(`github.com ${OLD}\n10.77.0.13 ${KEY} shipshape-lab-other\n`, (file) => {
    addKnownHosts(file, [{ host: '10.77.0.12', key: KEY }], TAG);
    removeKnownHosts(file, TAG);
    assert.is(readFileSync(file, 'utf8'), `github.com ${OLD}\n10.77.0.13 ${KEY} shipshape-lab-other\n`);
  });
});

test('a first-contact append from another process while the lab rewrites the file is never lost', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ss-kh-race-'));
  try {
    const file = join(dir, 'known_hosts');
    writeFileSync(file, '');
    // Another process appends 40 keys the way a deploy with --accept-new-host-keys does.
    const child = join(dir, 'append.ts');
    writeFileSync(child, `import { addKnownHost } from ${JSON.stringify(new URL('../../lib/transport/known-hosts.ts', import.meta.url).pathname)};
for (let i = 0; i < 40; i++) addKnownHost(${JSON.stringify(file)}, '10.99.0.' + i, 22, Buffer.from('k' + i));
`);
    const { spawn } = await import('node:child_process');
    const tsx = new URL('../../node_modules/tsx/dist/cli.mjs', import.meta.url).pathname;
    const done = new Promise<number | null>((res) => spawn(process.execPath, [tsx, child], { stdio: 'inherit' }).on('close', res));
    let exited = false;
    void done.then(() => { exited = true; });
    // Meanwhile the lab adds and removes its own tagged lines, rewriting the whole file each time.
    while (!exited) {
      addKnownHosts(file, [{ host: '[127.0.0.1]:22003', key: KEY }], TAG);
      removeKnownHosts(file, TAG);
      await new Promise((r) => setImmediate(r));
    }
    assert.is(await done, 0);
    const text = readFileSync(file, 'utf8');
    for (let i = 0; i < 40; i++) assert.match(text, `10.99.0.${i} `, `key ${i} kept`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
