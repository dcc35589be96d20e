// The become password dialog: sent only when sudo asks with this command's own prompt, never
// to a command sudo runs without asking; a second prompt is a refused password. Table tests of
// the dialog, then the local transport against a stand-in sudo (this machine has none; the
// lab spec ssh-become-lab runs the real one).
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { redact } from '../../lib/secret.js';
import { resolveBecome, SudoDialog, wrapBecome, type DialogStep } from '../../lib/transport/become.js';
import { LocalTransport } from '../../lib/transport/local.js';
import { tmpDir } from '../support/tmp.js';
import { rejects } from './helpers.js';

/** Feeds `text` to a dialog in pieces of `size` bytes; collects what it said. */
function converse(d: SudoDialog, text: string, size: number): { stderr: string; sent: string[]; started: number; refused?: string } {
  const buf = Buffer.from(text);
  const steps: DialogStep[] = [];
  for (let i = 0; i < buf.length; i += size) steps.push(d.feed(buf.subarray(i, i + size)));
  const stderr = Buffer.concat([...steps.map((s) => s.stderr), d.flush()]).toString();
  return {
    stderr,
    sent: steps.filter((s) => s.send).map((s) => s.send!.toString()),
    started: steps.filter((s) => s.started).length,
    refused: steps.find((s) => s.refused)?.refused,
  };
}

const cases: { name: string; stderr: (d: SudoDialog) => string; sent: string[]; started: number; refused?: RegExp; rest: string | ((d: SudoDialog) => string) }[] = [
  {
    name: 'sends nothing when the command starts without a prompt (NOPASSWD, cached, already that user)',
    stderr: (d) => `${d.marker}\ncommand's own stderr\n`, sent: [], started: 1, rest: "command's own stderr\n",
  },
  {
    name: 'sends the password once when sudo asks, and strips prompt and marker',
    stderr: (d) => `${d.prompt}${d.marker}\nwarn\n`, sent: ['pw\n'], started: 1, rest: 'warn\n',
  },
  {
    name: 'keeps what sudo says before its prompt (a lecture)',
    stderr: (d) => `We trust you have received the usual lecture.\n${d.prompt}${d.marker}\n`, sent: ['pw\n'], started: 1,
    rest: 'We trust you have received the usual lecture.\n',
  },
  {
    name: 'calls a second prompt a refused password and sends nothing more',
    stderr: (d) => `${d.prompt}Sorry, try again.\n${d.prompt}${d.prompt}`, sent: ['pw\n'], started: 0, refused: /refused the become password for root/,
    rest: 'Sorry, try again.\n',
  },
  {
    name: 'leaves prompt-like text alone once the command runs',
    stderr: (d) => `${d.marker}\n${d.prompt}${d.prompt}`, sent: [], started: 1, rest: (d) => `${d.prompt}${d.prompt}`,
  },
  {
    name: 'passes sudo\'s own failure through when the command never starts',
    stderr: () => 'sudo: a password is required\n', sent: [], started: 0, rest: 'sudo: a password is required\n',
  },
];

for (const c of cases) {
  test(`SudoDialog ${c.name}, however the output is split`, () => {
    for (const size of [1, 2, 3, 7, 31, 1000]) {
      const d = new SudoDialog('root', 'pw');
      const text = c.stderr(d);
      const r = converse(d, text, size);
      assert.equal(r.sent, c.sent, `sent, pieces of ${size}`);
      assert.is(r.started, c.started, `started, pieces of ${size}`);
      if (c.refused) assert.match(r.refused ?? '', c.refused);
      else assert.is(r.refused, undefined);
      const rest = typeof c.rest === 'function' ? c.rest(d) : c.rest;
      assert.is(r.stderr, rest, `stderr, pieces of ${size}`);
    }
  });
}

test('wrapBecome uses a new random prompt per command, never the password, and sudo -n without one', () => {
  const a = wrapBecome('id', { user: 'root', password: 'hunter22' });
  const b = wrapBecome('id', { user: 'root', password: 'hunter22' });
  assert.match(a.command, /^sudo -S -p '\[shipshape-sudo-[0-9a-f]{24}\]' -H -u root -- sh -c /);
  assert.is.not(a.dialog!.prompt, b.dialog!.prompt);
  assert.is.not(a.dialog!.marker, b.dialog!.marker);
  assert.not.match(a.command, 'hunter22');
  assert.equal(wrapBecome('id', { user: 'www' }), { command: 'sudo -n -H -u www -- sh -c id' });
});

test('registers a become password given as a plain string as a secret', () => {
  resolveBecome({ user: 'root', password: 'Plain-Sudo-Pw-7' });
  assert.is(redact('sudo said Plain-Sudo-Pw-7'), 'sudo said ********');
});

// A stand-in for sudo on PATH: FAKE_SUDO=nopasswd runs the command without asking; =ask
// prints the -p prompt on stderr and reads up to three lines, as sudo -S does; =pam asks
// with a prompt of its own (a PAM module's), ignoring -p.
const fake = tmpDir('ss-fake-sudo-');
writeFileSync(join(fake.dir, 'sudo'), `#!/bin/sh
prompt=Password: ; nonint=
while [ $# -gt 0 ]; do case $1 in
  -S|-H) shift ;; -n) nonint=1; shift ;; -p) prompt=$2; shift 2 ;; -u) shift 2 ;; --) shift; break ;; *) break ;;
esac; done
[ "$FAKE_SUDO" = pam ] && { printf 'Verification code: ' >&2; read -r line; exec "$@"; }
if [ "$FAKE_SUDO" = ask ]; then
  [ -z "$nonint" ] || { echo 'sudo: a password is required' >&2; exit 1; }
  n=0
  while [ $n -lt 3 ]; do
    printf '%s' "$prompt" >&2
    IFS= read -r line || { echo 'sudo: no password was provided' >&2; exit 1; }
    [ "$line" = "$FAKE_SUDO_PASSWORD" ] && exec "$@"
    echo 'Sorry, try again.' >&2; n=$((n+1))
  done
  echo "sudo: $n incorrect password attempts" >&2; exit 1
fi
exec "$@"
`);
chmodSync(join(fake.dir, 'sudo'), 0o755);
const savedPath = process.env.PATH;
test.before(() => { process.env.PATH = `${fake.dir}:${savedPath}`; });
test.after(() => {
  process.env.PATH = savedPath;
  delete process.env.FAKE_SUDO;
  delete process.env.FAKE_SUDO_PASSWORD;
  fake.cleanup();
});

test('local: a command sudo runs without asking never reads the password, input or upload', async () => {
  process.env.FAKE_SUDO = 'nopasswd';
  const t = new LocalTransport();
  const become = { user: 'nobody', password: 'Pw-not-for-cat' };
  assert.equal(await t.exec('cat', { become, stdin: 'only this\n' }), { code: 0, stdout: 'only this\n', stderr: '' });
  assert.equal(await t.exec('cat; echo done', { become }), { code: 0, stdout: 'done\n', stderr: '' });
  const { dir, cleanup } = tmpDir();
  try {
    await t.put(join(dir, 'f'), 'content\n', { become });
    assert.is((await t.exec(`cat ${dir}/f`)).stdout, 'content\n', 'the file holds the data, not the password first');
  } finally {
    cleanup();
  }
});

test('local: the password goes to sudo when it asks, then the input to the command', async () => {
  process.env.FAKE_SUDO = 'ask';
  process.env.FAKE_SUDO_PASSWORD = 'Pw-right';
  const t = new LocalTransport();
  const r = await t.exec('cat; echo err >&2', { become: { user: 'nobody', password: 'Pw-right' }, stdin: 'data\n' });
  assert.equal(r, { code: 0, stdout: 'data\n', stderr: 'err\n' });
  const none = await t.exec('true', { become: 'nobody' });
  assert.is(none.code, 1);
  assert.match(none.stderr, 'a password is required');
});

test('local: a wrong password fails clearly, and the input is never tried as a password', async () => {
  process.env.FAKE_SUDO = 'ask';
  process.env.FAKE_SUDO_PASSWORD = 'Pw-right';
  const t = new LocalTransport();
  // Fed after a wrong password, the input's first line would be sudo's second attempt.
  const e = await rejects(t.exec('echo ran', { become: { user: 'nobody', password: 'Pw-wrong' }, stdin: 'Pw-right\n' }),
    /refused the become password for nobody/);
  assert.match(e.stderr ?? '', 'Sorry, try again.');
  assert.not.match(e.stderr ?? '', /\[shipshape-sudo-/);
  assert.is(e.stdout, undefined);
});

test('local: sudo asking with a prompt of its own fails after becomeTimeoutMs instead of hanging', async () => {
  process.env.FAKE_SUDO = 'pam';
  const t = new LocalTransport();
  const e = await rejects(t.exec('echo ran', { become: { user: 'nobody', password: 'Pw-right' }, becomeTimeoutMs: 300 }),
    /sudo did not run the command as nobody within 0\.3 s, nor ask for the password with the prompt it was given/);
  assert.match(e.fix ?? '', 'passprompt_override');
  assert.match(e.stderr ?? '', 'Verification code: ');
});

test.run();
