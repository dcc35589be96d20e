// The command line as a user runs it: `npx shipshape …` in a project that installed the packed
// checkout. The second suite talks to one lab host, cli-01 (SSH forwarded on 127.0.0.1:23100).
// Needs root for the lab.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import type { LabHost } from '../../lib/lab/index.js';
import { knownHostsTagged } from '../../lib/lab/known-hosts.js';
import { entryMatches, fingerprint, parseKnownHosts } from '../../lib/transport/known-hosts.js';
import { labState, withLab } from '../support/lab.js';
import { mustRun, ROOT, runCommand, userProject, type RunResult, type UserProject } from '../support/packed.js';
import { tmpDir } from '../support/tmp.js';

const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const SSH_PORT = 23100;
const CLUSTER = { nodes: [{ host_name: 'cli-01', port_mappings: [{ guest_port: 22, host_port: SSH_PORT, host_ip: '127.0.0.1' }] }] };

/** Output that is a raw stack trace rather than an explanation. */
const STACK = /^\s+at .+:\d+:\d+\)?$/m;

// One installed project and output folder serve both suites.
let project: UserProject | undefined;
let out: ReturnType<typeof tmpDir> | undefined;
const cleanup = () => { project?.cleanup(); out?.cleanup(); };
process.once('exit', cleanup);

/** The installed program, as `npx shipshape` finds it (run directly so HOME may be changed). */
function shipshape(args: string[], env: NodeJS.ProcessEnv = {}, cwd = project!.dir): Promise<RunResult> {
  return runCommand(project!.bin('shipshape'), args, { cwd, env: { OUT: out!.dir, SHIPSHAPE_STATE_DIR: join(out!.dir, 'state'), ...env } });
}

function npxShipshape(args: string[]): Promise<RunResult> {
  return runCommand('npx', ['--no-install', 'shipshape', ...args], { cwd: project!.dir, env: { OUT: out!.dir, SHIPSHAPE_STATE_DIR: join(out!.dir, 'state') } });
}

function write(rel: string, text: string): string {
  const p = join(project!.dir, rel);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, text);
  return p;
}

/** A usage error: exit 4, the expected words, an explanation instead of a stack trace. */
function assertUsage(r: RunResult, ...patterns: (RegExp | string)[]): void {
  assert.is(r.code, 4, r.output);
  for (const p of patterns) assert.match(r.output, p, r.output);
  assert.not.match(r.output, STACK, `a stack trace:\n${r.output}`);
  assert.is(r.stdout, '', 'usage errors go to stderr');
}

const DEPLOY = `import { appendFileSync } from 'node:fs';
import { host, deploy } from 'shipshape';

appendFileSync(\`\${process.env.OUT}/runs.log\`, 'ran\\n');
host('localhost', { transport: 'local' }).file(\`\${process.env.OUT}/motd\`, { content: 'managed by shipshape\\n' });
await deploy();
`;

const cli = suite('the installed command line');

// Set up on first use rather than in before(): uvu does not show why a hook failed.
let installing: Promise<void> | undefined;
const installed = () => (installing ??= (async () => {
  out = tmpDir('shipshape-cli-out-');
  project = await userProject();
})());
cli.before.each(() => installed());

cli('--version and -V print the version of the package', async () => {
  for (const flag of ['--version', '-V']) {
    const r = await npxShipshape([flag]);
    assert.is(r.code, 0, r.output);
    assert.is(r.stdout, `${VERSION}\n`);
  }
});

cli('--help lists the commands; no command at all prints it to stderr and exits 4', async () => {
  const r = await npxShipshape(['--help']);
  assert.is(r.code, 0, r.output);
  for (const c of ['run', 'exec', 'facts', 'lab']) assert.match(r.stdout, new RegExp(`^  ${c} `, 'm'), r.stdout);
  assert.match(r.stdout, '--version');
  const bare = await shipshape([]);
  assert.is(bare.code, 4);
  assert.is(bare.stdout, '');
  assert.match(bare.stderr, 'usage: shipshape <command>');
});

cli('every command has --help with its usage and its flags', async () => {
  const expected: Record<string, string[]> = {
    run: ['--check', '--diff', '--limit', '--forks', '--json', '--accept-new-host-keys'],
    exec: ['--inventory', '--limit', '--become', '--forks', '--accept-new-host-keys'],
    facts: ['--inventory', '--limit', '--forks', '--accept-new-host-keys'],
    lab: ['up', 'down', 'status', 'reset', '--lab-dir', '--host'],
  };
  for (const [command, words] of Object.entries(expected)) {
    for (const help of ['--help', '-h']) {
      const r = await shipshape([command, help]);
      assert.is(r.code, 0, r.output);
      assert.ok(r.stdout.startsWith(`usage: shipshape ${command} `), r.stdout);
      for (const w of words) assert.match(r.stdout, w, `${command} ${help} names ${w}:\n${r.stdout}`);
    }
  }
});

cli('a mistyped flag exits 4 naming the closest valid flag, on every command', async () => {
  write('infra/deploy.ts', DEPLOY);
  assertUsage(await shipshape(['--verison']), 'unknown option --verison', 'did you mean --version?');
  assertUsage(await shipshape(['run', 'infra/deploy.ts', '--chek']), 'unknown option --chek', 'did you mean --check?');
  assertUsage(await shipshape(['exec', '-i', 'hosts.json', '--limt', 'web-01', '--', 'uptime']), 'unknown option --limt', 'did you mean --limit?');
  assertUsage(await shipshape(['facts', '--inventroy', 'hosts.json']), 'unknown option --inventroy', 'did you mean --inventory?');
  assertUsage(await shipshape(['lab', 'status', '--lab-dri', '/tmp/x']), 'unknown option --lab-dri', 'did you mean --lab-dir?');
  assertUsage(await shipshape(['exce']), 'unknown command exce', 'did you mean exec?');
  assertUsage(await shipshape(['run', 'infra/deploy.ts', '--limit']), '--limit needs a value');
  assert.not.ok(existsSync(join(out!.dir, 'runs.log')), 'the deploy file never ran');
});

cli('bad usage exits 4 before any host is contacted', async () => {
  // A host whose "sshd" counts connections: the bad calls must not reach it, a good one does.
  let connections = 0;
  const server = createServer((c) => { connections++; c.destroy(); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const key = join(out!.dir, 'id_ed25519');
    if (!existsSync(key)) await mustRun('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key], { cwd: out!.dir });
    const port = (server.address() as AddressInfo).port;
    write('hosts.json', JSON.stringify({ hosts: { 'web-01': { address: '127.0.0.1', port, user: 'deploy', privateKey: key } }, groups: { web: ['web-01'] } }));
    assertUsage(await shipshape(['exec', '-i', 'hosts.json', 'uptime', '-p']), 'unknown option -p', 'put the command after --');
    assertUsage(await shipshape(['exec', '-i', 'hosts.json', '--limit']), '--limit needs a value', 'nothing follows it');
    assertUsage(await shipshape(['exec', '-i', 'hosts.json', '--limit', '', '--', 'uptime']), '--limit needs a value', 'it is empty');
    assertUsage(await shipshape(['exec', '--limit', 'web', '-i']), '-i needs a value');
    assertUsage(await shipshape(['exec', '-i', 'hosts.json', '--limit', ',', '--', 'uptime']), 'names nothing');
    assertUsage(await shipshape(['facts', '-i', 'hosts.json', '--limit', 'web-1']), '"web-1" names no host or group', 'did you mean web-01?');
    assertUsage(await shipshape(['facts', '-i', 'hosts.json', '--forks', '0']), '--forks 0 is not a positive whole number');
    assertUsage(await shipshape(['exec', '-i', 'hosts.json']), 'which command?');
    assertUsage(await shipshape(['facts']), 'needs an inventory', '-i cluster.json');
    assertUsage(await shipshape(['facts', '-i', 'nosuch.json']), 'inventory nosuch.json does not exist', join(project!.dir, 'nosuch.json'));
    assertUsage(await shipshape(['run', 'nosuch.ts']), 'deploy file nosuch.ts does not exist', join(project!.dir, 'nosuch.ts'));
    assertUsage(await shipshape(['lab', 'up', 'nosuch.json']), 'nosuch.json does not exist');
    assertUsage(await shipshape(['lab', 'frobnicate']), 'unknown lab command frobnicate');
    assert.is(connections, 0, 'no bad call reached the host');

    // The same host with good usage is contacted (and, not being sshd, is unreachable: exit 3).
    const good = await shipshape(['facts', '-i', 'hosts.json', '--limit', 'web']);
    assert.is(good.code, 3, good.output);
    assert.match(good.output, 'web-01 | UNREACHABLE |');
    assert.not.match(good.output, STACK, good.output);
    assert.ok(connections > 0, 'the good call reached the host');
  } finally {
    await new Promise((r) => server.close(r));
  }
});

cli('run DEPLOY.ts --check reports and changes nothing; run DEPLOY.ts applies it', async () => {
  write('infra/deploy.ts', DEPLOY);
  const motd = join(out!.dir, 'motd');
  const check = await npxShipshape(['run', 'infra/deploy.ts', '--check']);
  assert.is(check.code, 0, check.output);
  assert.match(check.output, 'check mode');
  assert.match(check.output, /\| would change/);
  assert.not.ok(existsSync(motd), '--check wrote the file');
  const real = await npxShipshape(['run', 'infra/deploy.ts']);
  assert.is(real.code, 0, real.output);
  assert.is(readFileSync(motd, 'utf8'), 'managed by shipshape\n');
  const again = await npxShipshape(['run', 'infra/deploy.ts', '--check']);
  assert.is(again.code, 0, again.output);
  assert.match(again.output, /changed=0/);
  // The deploy's own exit code comes through: 4 for an invalid plan.
  write('infra/invalid.ts', DEPLOY.replace("{ content: 'managed by shipshape\\n' }", "{ content: 'x', notify: 'no such handler' }"));
  const invalid = await shipshape(['run', 'infra/invalid.ts']);
  assert.is(invalid.code, 4, invalid.output);
  assert.match(invalid.output, 'no such handler');
});

cli.run();

const lab = suite('the installed command line against a lab host');
let labDone: (() => void) | undefined;
let labRun: Promise<void> | undefined;
let host: LabHost | undefined;
let clusterFile = '';

let labUp: Promise<void> | undefined;
lab.before.each(() => labUp ??= (async () => {
  await installed();
  // withLab tears the lab down when the suite is over (after()), also after failed tests.
  await new Promise<void>((ready, fail) => {
    labRun = withLab(CLUSTER, (hosts, file) => {
      host = hosts[0];
      clusterFile = file;
      ready();
      return new Promise<void>((r) => { labDone = r; });
    });
    labRun.catch(fail);
  });
})());
lab.after(async () => {
  labDone?.();
  try {
    await labRun;
  } finally {
    cleanup();
  }
});

/** The fingerprint of cli-01's key, as `lab up` recorded it in ~/.ssh/known_hosts. */
function recordedKey(): { line: string; fp: string } {
  const state = labState(clusterFile)!;
  const lines = knownHostsTagged(state.knownHostsFile, state.knownHostsTag);
  const entry = parseKnownHosts(lines.join('\n')).find((e) => entryMatches(e, '127.0.0.1', SSH_PORT));
  assert.ok(entry, `lab up recorded no key for [127.0.0.1]:${SSH_PORT}: ${lines.join('\n')}`);
  return { line: `[127.0.0.1]:${SSH_PORT} ${entry!.keyType} ${entry!.key.toString('base64')}`, fp: fingerprint(entry!.key) };
}

lab('exec runs a command on the hosts of cluster.json and exits with how it went', async () => {
  const ok = await shipshape(['exec', '-i', clusterFile, '--', 'hostname']);
  assert.is(ok.code, 0, ok.output);
  assert.is(ok.stdout, 'cli-01 | rc=0 >>\ncli-01\n');
  const failed = await shipshape(['exec', '-i', clusterFile, '--limit', 'cli-01', '--', 'sh', '-c', "'echo oops >&2; exit 3'"]);
  assert.is(failed.code, 2, failed.output);
  assert.is(failed.stdout, 'cli-01 | rc=3 >>\noops\n');
});

lab('facts prints the facts of the hosts of cluster.json as JSON', async () => {
  const r = await shipshape(['facts', '-i', clusterFile]);
  assert.is(r.code, 0, r.output);
  const facts = JSON.parse(r.stdout) as Record<string, { hostname: string; user: string; os: { id: string }; cpus: number }>;
  assert.equal(Object.keys(facts), ['cli-01']);
  assert.is(facts['cli-01']!.hostname, 'cli-01');
  assert.is(facts['cli-01']!.user, 'vagrant');
  assert.is(facts['cli-01']!.os.id, 'debian');
  assert.ok(facts['cli-01']!.cpus >= 1, JSON.stringify(facts));
});

lab('an unknown host key is refused with its fingerprint; --accept-new-host-keys records it', async () => {
  // A user's first contact: a home whose known_hosts does not have the lab host yet.
  const home = join(out!.dir, 'new-home');
  mkdirSync(home, { recursive: true });
  const knownHosts = join(home, '.ssh', 'known_hosts');
  const { line, fp } = recordedKey();

  const refused = await shipshape(['exec', '-i', clusterFile, '--', 'hostname'], { HOME: home });
  assert.is(refused.code, 3, refused.output);
  assert.match(refused.output, 'is not known');
  assert.match(refused.output, fp);
  assert.match(refused.output, '--accept-new-host-keys');
  assert.not.match(refused.output, STACK, refused.output);
  assert.not.ok(existsSync(knownHosts) && readFileSync(knownHosts, 'utf8').includes(line.split(' ')[2]!), 'nothing was recorded');

  const accepted = await shipshape(['exec', '-i', clusterFile, '--accept-new-host-keys', '--', 'hostname'], { HOME: home });
  assert.is(accepted.code, 0, accepted.output);
  assert.is(accepted.stdout, 'cli-01 | rc=0 >>\ncli-01\n');
  assert.is(readFileSync(knownHosts, 'utf8'), `${line}\n`);

  const known = await shipshape(['facts', '-i', clusterFile], { HOME: home });
  assert.is(known.code, 0, known.output);
  assert.is(readFileSync(knownHosts, 'utf8'), `${line}\n`, 'a known key is not recorded again');

  // A changed key is refused even with the flag.
  const other = join(out!.dir, 'other-home');
  mkdirSync(join(other, '.ssh'), { recursive: true });
  const wrong = line.split(' ').slice(0, 2).concat(Buffer.from(`${'\0\0\0\x0bssh-ed25519\0\0\0\x20'}${'x'.repeat(32)}`, 'latin1').toString('base64')).join(' ');
  writeFileSync(join(other, '.ssh', 'known_hosts'), `${wrong}\n`);
  const changed = await shipshape(['exec', '-i', clusterFile, '--accept-new-host-keys', '--', 'hostname'], { HOME: other });
  assert.is(changed.code, 3, changed.output);
  assert.match(changed.output, 'HOST KEY CHANGED');
  assert.match(changed.output, fp);
  assert.is(readFileSync(join(other, '.ssh', 'known_hosts'), 'utf8'), `${wrong}\n`);
});

lab('lab status, down and up drive the lab from the command line', async () => {
  const row = /^cli-01\s+\S+\s+(running|stopped)\s+127\.0\.0\.1:23100->22$/m;
  const up = await shipshape(['lab', 'status', clusterFile]);
  assert.is(up.code, 0, up.output);
  assert.is(row.exec(up.stdout)?.[1], 'running', up.stdout);

  const down = await shipshape(['lab', 'down', clusterFile]);
  assert.is(down.code, 0, down.output);
  const stopped = await shipshape(['lab', 'status', clusterFile]);
  assert.is(stopped.code, 3, stopped.output);
  assert.is(row.exec(stopped.stdout)?.[1], 'stopped', stopped.stdout);
  const unreachable = await shipshape(['exec', '-i', clusterFile, '--', 'hostname']);
  assert.is(unreachable.code, 3, unreachable.output);

  const again = await shipshape(['lab', 'up', clusterFile]);
  assert.is(again.code, 0, again.output);
  assert.is(row.exec(again.stdout)?.[1], 'running', again.stdout);
  assert.match(again.stdout, `ssh -p ${SSH_PORT} -i ${host!.privateKey} vagrant@127.0.0.1`);
  const back = await shipshape(['exec', '-i', clusterFile, '--', 'hostname']);
  assert.is(back.code, 0, back.output);
  assert.is(back.stdout, 'cli-01 | rc=0 >>\ncli-01\n');
});

lab.run();
