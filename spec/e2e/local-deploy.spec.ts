import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tmpDir } from '../support/tmp.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '../..');
const tsxCli = join(repo, 'node_modules/tsx/dist/cli.mjs');

function tsx(file: string, args: string[] = []) {
  writeFileSync(join(dirname(file), 'package.json'), '{ "type": "module" }\n');
  const r = spawnSync(process.execPath, [tsxCli, file, ...args], { cwd: dirname(file), encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout + r.stderr };
}

test('a user\'s deploy.ts on the local transport changes what differs, and a second run changes nothing', () => {
  const { dir, cleanup } = tmpDir();
  try {
    const target = join(dir, 'srv');
    writeFileSync(join(dir, 'app.conf.mustache'), 'port={{port}}\nname={{name}}\n');
    writeFileSync(join(dir, 'deploy.ts'), `
import { host, deploy } from ${JSON.stringify(join(repo, 'lib/index.ts'))};
host('localhost', { transport: 'local' })
  .file(${JSON.stringify(target)}, { state: 'directory', mode: 0o755 })
  .template('app.conf.mustache', ${JSON.stringify(join(target, 'app.conf'))}, { vars: { port: 5000, name: 'a&b' }, mode: '0640', notify: 'restart app' })
  .shell('echo built > ${join(target, 'built')}', { creates: ${JSON.stringify(join(target, 'built'))} })
  .handler('restart app', (h) => h.shell('date +%s%N >> ${join(target, 'restarts')}'));
await deploy();
`);
    const first = tsx(join(dir, 'deploy.ts'));
    assert.is(first.code, 0, first.out);
    assert.match(first.out, /localhost\s+: ok=4\s+changed=4/);
    assert.is(readFileSync(join(target, 'app.conf'), 'utf8'), 'port=5000\nname=a&b\n', 'no HTML escaping');
    assert.is(statSync(join(target, 'app.conf')).mode & 0o777, 0o640);
    assert.is(readFileSync(join(target, 'restarts'), 'utf8').trim().split('\n').length, 1);
    const second = tsx(join(dir, 'deploy.ts'));
    assert.is(second.code, 0, second.out);
    assert.match(second.out, /localhost\s+: ok=3\s+changed=0/);
    assert.is(readFileSync(join(target, 'restarts'), 'utf8').trim().split('\n').length, 1, 'the handler did not run again');
    const check = tsx(join(dir, 'deploy.ts'), ['--check']);
    assert.is(check.code, 0);
    assert.match(check.out, /changed=0/);
  } finally { cleanup(); }
});

test('a deploy.ts with an invalid plan exits 4 and names the problem and the line', () => {
  const { dir, cleanup } = tmpDir();
  try {
    writeFileSync(join(dir, 'deploy.ts'), `
import { host, deploy } from ${JSON.stringify(join(repo, 'lib/index.ts'))};
host('localhost', { transport: 'local' })
  .file('relative/path', { content: 'x', notify: 'nobody' });
await deploy();
`);
    const r = tsx(join(dir, 'deploy.ts'));
    assert.is(r.code, 4, r.out);
    assert.match(r.out, 'path "relative/path" must be an absolute path');
    assert.match(r.out, 'notify "nobody"');
    assert.match(r.out, /deploy\.ts:4:\d+/);
  } finally { cleanup(); }
});

test('a reader that goes away (tsx deploy.ts | head -1) does not stop the deploy half-way; --json has each task\'s timings', async () => {
  const { dir, cleanup } = tmpDir();
  try {
    const files = Array.from({ length: 30 }, (_, i) => join(dir, `f${i}`));
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
    writeFileSync(join(dir, 'deploy.ts'), `
import { host, deploy } from ${JSON.stringify(join(repo, 'lib/index.ts'))};
const h = host('localhost', { transport: 'local' });
for (const f of ${JSON.stringify(files)}) h.shell('sleep 0.02; echo x > ' + f, { creates: f });
await deploy();
`);
    const child = spawn(process.execPath, [tsxCli, 'deploy.ts', '--json', 'report.json'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d; });
    // As head -1 does: read the first line, then close the pipe.
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
    assert.is(code, 0, stderr);
    assert.not.match(stderr, 'EPIPE');
    for (const f of files) assert.ok(existsSync(f), `${f} written`);
    const tasks = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')).tasks as { status: string; durationMs: number; applyMs?: number }[];
    assert.is(tasks.length, 30);
    assert.ok(tasks.every((t) => t.status === 'changed' && typeof t.applyMs === 'number' && t.applyMs >= 15), JSON.stringify(tasks[0]));
  } finally {
    cleanup();
  }
});

test.run();
