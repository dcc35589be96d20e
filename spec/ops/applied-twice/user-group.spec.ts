// user and group applied for real on this machine (as root): created, modified, removed and
// system accounts, each run twice (the second changes nothing), the result read back with
// getent and id. Every account has a fresh ss-test-<random> name and is removed afterwards.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { groupOp, type GroupArgs } from '../../../lib/ops/group.js';
import type { OpSpec } from '../../../lib/ops/types.js';
import { userOp, type UserArgs } from '../../../lib/ops/user.js';
import { run, scratch, whats } from './local-run.js';

const users = new Set<string>();
const groups = new Set<string>();

/** Runs a command that must work (setting up what the op then finds). */
function sh(cmd: string, ...args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** Removes every account the tests made (users first: a primary group cannot go before its user). */
function cleanup(): void {
  for (const u of users) spawnSync('userdel', ['-r', '-f', u], { stdio: 'ignore' });
  for (const g of groups) spawnSync('groupdel', [g], { stdio: 'ignore' });
  users.clear();
  groups.clear();
}
process.on('exit', cleanup);
test.after.each(cleanup);

/** A fresh name, remembered for cleanup as a user (and its own group) or a group. */
function fresh(kind: 'user' | 'group'): string {
  const name = `ss-test-${randomBytes(3).toString('hex')}`;
  if (kind === 'user') users.add(name);
  groups.add(name);
  return name;
}

/** `n` ids from 20000 up that no user and no group has, for uid/gid changes. */
function freeIds(n: number): number[] {
  const used = new Set([...sh('getent', 'passwd').split('\n'), ...sh('getent', 'group').split('\n')].map((l) => Number(l.split(':')[2])));
  const out: number[] = [];
  for (let id = 20000 + Math.floor(Math.random() * 5000); out.length < n; id++) if (!used.has(id)) out.push(id);
  return out;
}

/** getent's entry, or '' when there is none. */
const getent = (db: 'passwd' | 'group', name: string) => spawnSync('getent', [db, name], { encoding: 'utf8' }).stdout.trim();
const passwd = (name: string) => {
  const f = getent('passwd', name).split(':');
  return { uid: Number(f[2]), home: f[5], shell: f[6] };
};
const gid = (name: string) => Number(getent('group', name).split(':')[2]);
const primaryGroup = (name: string) => sh('id', '-gn', name).trim();
const allGroups = (name: string) => sh('id', '-Gn', name).trim().split(/\s+/).sort();
/** Below this, an id is a system one (login.defs). */
const loginDef = (key: string, dflt: number) => Number(new RegExp(`^${key}\\s+(\\d+)`, 'm').exec(readFileSync('/etc/login.defs', 'utf8'))?.[1] ?? dflt);

/**
 * Check mode reports a change and changes nothing; then the first run changes and the
 * second changes nothing, saying why. Returns the first run's change names.
 */
async function twice<A>(op: OpSpec<A>, args: A, unchanged: () => string): Promise<string[]> {
  const before = unchanged();
  const checked = await run(op, args, { check: true });
  assert.ok(checked.changed, 'check mode reports a change');
  assert.is(unchanged(), before, 'check mode changed nothing');
  const first = await run(op, args);
  assert.ok(first.changed, 'the first run changes');
  const second = await run(op, args);
  assert.not.ok(second.changed, `the second run changes nothing, but got ${JSON.stringify(whats(second))}`);
  assert.ok(second.diff.noop, 'and says why');
  return whats(first);
}

test('user created with uid, primary group, supplementary groups, home and shell, then left alone', async () => {
  const [primary, extra1, extra2] = [fresh('group'), fresh('group'), fresh('group')];
  for (const g of [primary, extra1, extra2]) sh('groupadd', g!);
  const name = fresh('user');
  const [uid] = freeIds(1);
  const home = join(scratch(), name);
  const args: UserArgs = { name, uid, group: primary, groups: [extra1!, extra2!], home, shell: '/bin/sh' };
  assert.equal(await twice(userOp, args, () => getent('passwd', name)), ['state']);
  assert.equal(passwd(name), { uid: uid!, home, shell: '/bin/sh' });
  assert.is(primaryGroup(name), primary);
  assert.equal(allGroups(name), [primary!, extra1!, extra2!].sort());
  assert.is(statSync(home).uid, uid, 'the home was created, owned by the user');
});

test('user modified: uid, primary group, supplementary groups, home and shell change once, then are left alone', async () => {
  const [g1, g2, g3] = [fresh('group'), fresh('group'), fresh('group')];
  for (const g of [g1, g2, g3]) sh('groupadd', g!);
  const name = fresh('user');
  sh('useradd', '-M', '-s', '/bin/bash', '-G', g2!, name);
  const [uid] = freeIds(1);
  const home = join(scratch(), name);
  const args: UserArgs = { name, uid, group: g1, groups: [g3!], home, shell: '/bin/sh' };
  const changed = await twice(userOp, args, () => `${getent('passwd', name)} ${allGroups(name).join(',')}`);
  assert.equal(changed.sort(), ['group', 'groups', 'home', 'shell', 'uid']);
  assert.equal(passwd(name), { uid: uid!, home, shell: '/bin/sh' });
  assert.is(primaryGroup(name), g1);
  assert.equal(allGroups(name), [g1!, g3!].sort(), `${g2} left, ${g3} joined`);
});

test('user groups: [] takes the user out of every supplementary group once', async () => {
  const [g1, g2] = [fresh('group'), fresh('group')];
  for (const g of [g1, g2]) sh('groupadd', g!);
  const name = fresh('user');
  sh('useradd', '-M', '-G', `${g1},${g2}`, name);
  assert.equal(await twice(userOp, { name, groups: [] }, () => allGroups(name).join(',')), ['groups']);
  assert.equal(allGroups(name), [name], 'only its own primary group is left');
});

test('user absent: removed once, then nothing to do; the home stays', async () => {
  const name = fresh('user');
  const home = join(scratch(), name);
  sh('useradd', '-m', '-d', home, name);
  assert.equal(await twice(userOp, { name, state: 'absent' }, () => getent('passwd', name)), ['state']);
  assert.is(getent('passwd', name), '', 'getent no longer knows the user');
  assert.ok(existsSync(home), 'the home directory is kept, as userdel without -r does');
});

test('system user without a home: created with a system uid, then left alone', async () => {
  const name = fresh('user');
  const args: UserArgs = { name, system: true, createHome: false, shell: '/usr/sbin/nologin' };
  assert.equal(await twice(userOp, args, () => getent('passwd', name)), ['state']);
  const p = passwd(name);
  assert.ok(p.uid > 0 && p.uid < loginDef('UID_MIN', 1000), `uid ${p.uid} is a system uid`);
  assert.is(p.shell, '/usr/sbin/nologin');
  assert.not.ok(existsSync(p.home!), `no home was made at ${p.home}`);
});

test('group created with a gid, then left alone', async () => {
  const name = fresh('group');
  const [id] = freeIds(1);
  assert.equal(await twice(groupOp, { name, gid: id } satisfies GroupArgs, () => getent('group', name)), ['state']);
  assert.is(gid(name), id);
});

test('group gid changed once, then left alone', async () => {
  const name = fresh('group');
  const [from, to] = freeIds(2);
  sh('groupadd', '-g', String(from), name);
  assert.equal(await twice(groupOp, { name, gid: to }, () => getent('group', name)), ['gid']);
  assert.is(gid(name), to);
});

test('group absent: removed once, then nothing to do', async () => {
  const name = fresh('group');
  sh('groupadd', name);
  assert.equal(await twice(groupOp, { name, state: 'absent' }, () => getent('group', name)), ['state']);
  assert.is(getent('group', name), '', 'getent no longer knows the group');
});

test('system group: created with a system gid, then left alone', async () => {
  const name = fresh('group');
  assert.equal(await twice(groupOp, { name, system: true }, () => getent('group', name)), ['state']);
  const id = gid(name);
  assert.ok(id > 0 && id < loginDef('GID_MIN', 1000), `gid ${id} is a system gid`);
});

test.run();
