import { test } from 'uvu';
import { groupOp, type GroupArgs } from '../../lib/ops/group.js';
import { userOp, type UserArgs } from '../../lib/ops/user.js';
import { opTable, sections } from '../support/op-harness.js';

const M = '::shipshape::';
// As printed on this machine for `nobody`, and for a user that does not exist.
const user = (passwd: string, primary: string, groups: string) => sections(`${M}passwd\n${passwd}\n${M}primary\n${primary}\n${M}groups\n${groups}\n`);
const noUser = sections(`${M}passwd\n${M}primary\n${M}groups\n`);
const vagrant = user('vagrant:x:1000:1000::/home/vagrant:/bin/bash', 'vagrant', 'vagrant sudo');

opTable<UserArgs>(userOp, [
  {
    name: 'creates a missing user with every option',
    args: { name: 'www', uid: 1500, group: 'www-data', groups: ['adm', 'sudo'], home: '/srv/www', shell: '/usr/sbin/nologin', system: true, createHome: false },
    probed: noUser,
    expect: {
      probe: ['getent passwd www', 'id -gn www', 'id -Gn www'],
      changes: [{ what: 'state', before: 'absent', after: 'present' }],
      actions: [{ kind: 'exec', command: 'useradd -u 1500 -g www-data -G adm,sudo -d /srv/www -s /usr/sbin/nologin -r -M www' }],
    },
  },
  {
    name: 'creates a plain user with a home, as Ansible does by default',
    args: { name: 'deploy' },
    probed: noUser,
    expect: { actions: [{ kind: 'exec', command: 'useradd -m deploy' }], changes: [{ what: 'state' }] },
  },
  {
    name: 'does nothing when the user exists as wanted',
    args: { name: 'vagrant', uid: 1000, group: 'vagrant', groups: ['sudo'], shell: '/bin/bash', home: '/home/vagrant' },
    probed: vagrant,
    expect: { changes: [], noop: 'user vagrant exists as wanted (uid 1000)' },
  },
  {
    name: 'changes only what differs with one usermod',
    args: { name: 'vagrant', groups: ['sudo', 'docker'], shell: '/bin/zsh', group: '1000' },
    probed: vagrant,
    expect: {
      changes: [{ what: 'groups', before: 'sudo', after: 'sudo,docker' }, { what: 'shell', before: '/bin/bash', after: '/bin/zsh' }],
      actions: [{ kind: 'exec', command: 'usermod -G sudo,docker -s /bin/zsh vagrant' }],
    },
  },
  {
    name: 'removes every supplementary group for groups: []',
    args: { name: 'vagrant', groups: [] },
    probed: vagrant,
    expect: { changes: [{ what: 'groups', before: 'sudo', after: '(none)' }], actions: [{ kind: 'exec', command: "usermod -G '' vagrant" }] },
  },
  {
    name: 'compares the primary group by name',
    args: { name: 'nobody', group: 'nogroup', uid: 65534 },
    probed: user('nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin', 'nogroup', 'nogroup'),
    expect: { changes: [], noop: /exists as wanted/ },
  },
  {
    name: 'removes a present user, keeping the home',
    args: { name: 'olduser', state: 'absent' },
    probed: user('olduser:x:1001:1001::/home/olduser:/bin/sh', 'olduser', 'olduser'),
    expect: { changes: [{ what: 'state', before: 'present', after: 'absent' }], actions: [{ kind: 'exec', command: 'userdel olduser' }] },
  },
  { name: 'does nothing for an absent user that does not exist', args: { name: 'olduser', state: 'absent' }, probed: noUser, expect: { changes: [], noop: 'user olduser does not exist' } },
  { name: 'rejects an invalid user name', args: { name: 'Bad User' }, expect: { problems: ['user name "Bad User" is not a valid user name'] } },
  { name: 'rejects a numeric user name', args: { name: '1000' }, expect: { problems: ['user name "1000" is not a valid user name'] } },
  { name: 'rejects a relative home, a bad uid and a bad group', args: { name: 'u', home: 'home/u', uid: -1, groups: ['ok', 'no way'] }, expect: { problems: ['uid -1 must be a whole number (0 or more)', 'group "no way" in groups is not a valid group name', `home "home/u" must be an absolute path without ':'`] } },
]);

opTable<GroupArgs>(groupOp, [
  {
    name: 'creates a missing system group with a gid',
    args: { name: 'www', gid: 1500, system: true },
    probed: sections(`${M}group\n`),
    expect: { probe: ['getent group www'], changes: [{ what: 'state', before: 'absent', after: 'present' }], actions: [{ kind: 'exec', command: 'groupadd -g 1500 -r www' }] },
  },
  { name: 'does nothing when the group exists', args: { name: 'nogroup', gid: 65534 }, probed: sections(`${M}group\nnogroup:x:65534:\n`), expect: { changes: [], noop: 'group nogroup exists with gid 65534' } },
  {
    name: 'changes the gid of an existing group',
    args: { name: 'www', gid: 1600 },
    probed: sections(`${M}group\nwww:x:1500:alice,bob\n`),
    expect: { changes: [{ what: 'gid', before: '1500', after: '1600' }], actions: [{ kind: 'exec', command: 'groupmod -g 1600 www' }] },
  },
  { name: 'removes a present group', args: { name: 'www', state: 'absent' }, probed: sections(`${M}group\nwww:x:1500:\n`), expect: { changes: [{ what: 'state' }], actions: [{ kind: 'exec', command: 'groupdel www' }] } },
  { name: 'rejects a bad gid', args: { name: 'www', gid: 1.5 }, expect: { problems: ['gid 1.5 must be a whole number (0 or more)'] } },
  { name: 'rejects a bad state', args: { name: 'www', state: 'gone' as never }, expect: { problems: ['state "gone" is not one of present, absent'] } },
]);

test.run();
