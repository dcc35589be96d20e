import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { commandOp } from '../../../lib/ops/command.js';
import { lineOp } from '../../../lib/ops/line.js';
import { shellOp } from '../../../lib/ops/shell.js';
import { snapshot } from '../../support/tmp.js';
import { idempotent, run, scratch, whats } from './local-run.js';

const read = (p: string) => readFileSync(p, 'utf8');
const sshd = (d: string) => writeFileSync(join(d, 'sshd_config'), 'Port 22\n#PasswordAuthentication yes\nUsePAM yes\n', { mode: 0o600 });

test('line replaces the matching line once', async () => {
  const { dir, first } = await idempotent(lineOp, (d) => ({ path: join(d, 'sshd_config'), regexp: '^#?PasswordAuthentication', line: 'PasswordAuthentication no' }), { prepare: sshd });
  assert.is(read(join(dir, 'sshd_config')), 'Port 22\nPasswordAuthentication no\nUsePAM yes\n');
  assert.is(statSync(join(dir, 'sshd_config')).mode & 0o7777, 0o600);
  assert.is(first.diff.changes[0]!.content!.after, 'Port 22\nPasswordAuthentication no\nUsePAM yes\n');
});

test('line inserts after a marker and creates a missing file with owner and mode', async () => {
  const { dir } = await idempotent(lineOp, (d) => ({ path: join(d, 'sshd_config'), line: 'AllowUsers vagrant', insertAfter: '^Port' }), { prepare: sshd });
  assert.is(read(join(dir, 'sshd_config')), 'Port 22\nAllowUsers vagrant\n#PasswordAuthentication yes\nUsePAM yes\n');
  const made = await idempotent(lineOp, (d) => ({ path: join(d, 'app.env'), line: 'MODE=prod', create: true, mode: 0o640, owner: 'nobody' }));
  assert.is(read(join(made.dir, 'app.env')), 'MODE=prod\n');
  assert.is(statSync(join(made.dir, 'app.env')).uid, 65534);
});

test('line absent removes every match', async () => {
  const { dir } = await idempotent(lineOp, (d) => ({ path: join(d, 'sshd_config'), regexp: 'yes$', line: '', state: 'absent' as const }), { prepare: sshd });
  assert.is(read(join(dir, 'sshd_config')), 'Port 22\n');
});

test('line edits a file larger than the 64 KiB inline limit', async () => {
  const big = Array.from({ length: 5000 }, (_, i) => `key${i} = value ${i} padding padding`).join('\n') + '\n';
  assert.ok(big.length > 64 * 1024);
  const { dir } = await idempotent(lineOp, (d) => ({ path: join(d, 'big.conf'), regexp: '^key4999 ', line: 'key4999 = changed' }), { prepare: (d) => writeFileSync(join(d, 'big.conf'), big) });
  assert.is(read(join(dir, 'big.conf')), big.replace('key4999 = value 4999 padding padding', 'key4999 = changed'));
});

test('shell with creates runs once', async () => {
  const { dir } = await idempotent(shellOp, (d) => ({ command: `echo built > ${join(d, 'out')}`, creates: join(d, 'out') }));
  assert.is(read(join(dir, 'out')), 'built\n');
});

test('shell with removes runs while the path exists', async () => {
  await idempotent(shellOp, (d) => ({ command: `rm ${join(d, 'default')}`, removes: join(d, 'default') }), { prepare: (d) => writeFileSync(join(d, 'default'), 'x') });
});

test('shell with unless runs in cwd with env, and unless sees them too', async () => {
  const { dir, first } = await idempotent(shellOp, (d) => ({
    command: 'printf "%s\\n" "$GREETING" >> log && echo ran', unless: 'grep -qx "$GREETING" log', cwd: d, env: { GREETING: "it's a 'test' $HOME" },
  }));
  assert.is(read(join(dir, 'log')), "it's a 'test' $HOME\n");
  assert.is(first.results[0]!.stdout, 'ran\n');
});

test('a bare shell always runs, and check mode only says it would', async () => {
  const dir = scratch();
  const args = { command: `echo x >> ${join(dir, 'count')}` };
  const before = snapshot(dir);
  const checked = await run(shellOp, args, { check: true });
  assert.ok(checked.changed);
  assert.ok(checked.diff.unknown);
  assert.is(snapshot(dir), before);
  assert.ok((await run(shellOp, args)).changed);
  assert.ok((await run(shellOp, args)).changed);
  assert.is(read(join(dir, 'count')), 'x\nx\n');
});

test('a failing shell command throws with its exit code and stderr', async () => {
  try {
    await run(shellOp, { command: 'echo boom >&2; exit 3' });
    assert.unreachable('should have thrown');
  } catch (e) {
    const err = e as { exitCode?: number; stderr?: string; message: string };
    assert.is(err.exitCode, 3);
    assert.is(err.stderr, 'boom\n');
  }
});

test('command quotes its argv and honours creates', async () => {
  const { dir } = await idempotent(commandOp, (d) => ({ argv: ['touch', join(d, "a file; with $(stuff)")], creates: join(d, "a file; with $(stuff)") }));
  assert.ok(existsSync(join(dir, 'a file; with $(stuff)')));
  assert.not.ok(existsSync(join(dir, 'a file')));
});

test('command with unless as argv and a relative creates resolved against cwd', async () => {
  await idempotent(commandOp, (d) => ({ argv: ['sh', '-c', 'echo done > marker'], cwd: d, creates: 'marker' }));
  await idempotent(commandOp, (d) => ({ argv: ['mkdir', 'sub'], cwd: d, unless: ['test', '-d', join(d, 'sub')] }));
});

test.run();
