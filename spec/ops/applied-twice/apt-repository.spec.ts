// aptRepository applied twice on a real lab host: a tiny signed repository built here (dpkg-deb,
// dpkg-scanpackages, gpg with a throwaway GNUPGHOME) and served on the lab bridge; the apt op
// installs from it; one apt-get update per run; a wrong key fails clearly. Needs root. Port 24401.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createProject } from '../../../lib/dsl/project.js';
import { serveLab, type LabServer } from '../../../lib/lab/serve.js';
import { tmpDir } from '../../support/tmp.js';
import { deploy, expectAll, labSuite, why } from './lab-run.js';

const HOST = 'aptrepo-01';
const local = tmpDir('ss-apt-repo-');
const gnupg = join(local.dir, 'gnupg');
const root = join(local.dir, 'www');
let srv: LabServer | undefined;
let armored = '';
let binary = Buffer.alloc(0);
let wrong = '';

const gpg = (...args: string[]) => execFileSync('gpg', ['--batch', '--quiet', '--pinentry-mode', 'loopback', '--passphrase', '', ...args], { env: { ...process.env, GNUPGHOME: gnupg } });
const hash = (f: string) => { const b = readFileSync(f); return ` ${createHash('sha256').update(b).digest('hex')} ${b.length}`; };

/** A package with one file, built with dpkg-deb. */
function buildDeb(name: string, out: string): void {
  const d = join(local.dir, 'build', name);
  mkdirSync(join(d, 'DEBIAN'), { recursive: true });
  mkdirSync(join(d, 'usr/share', name), { recursive: true });
  writeFileSync(join(d, 'DEBIAN/control'), `Package: ${name}\nVersion: 1.0\nArchitecture: all\nMaintainer: shipshape tests <test@example.org>\nDescription: a trivial package for the aptRepository spec\n`);
  writeFileSync(join(d, 'usr/share', name, 'hello.txt'), `hello from ${name}\n`);
  mkdirSync(out, { recursive: true });
  execFileSync('dpkg-deb', ['--build', '--root-owner-group', d, join(out, `${name}_1.0_all.deb`)], { stdio: 'ignore' });
}

/** Packages(.gz) of `pool` under `indexDir`, a Release listing them relative to `releaseDir`, signed as InRelease. */
function index(repoDir: string, pool: string, indexDir: string, releaseDir: string, fields: string): void {
  mkdirSync(join(repoDir, indexDir), { recursive: true });
  const packages = execFileSync('dpkg-scanpackages', ['--multiversion', pool, '/dev/null'], { cwd: repoDir, stdio: ['ignore', 'pipe', 'ignore'] });
  writeFileSync(join(repoDir, indexDir, 'Packages'), packages);
  writeFileSync(join(repoDir, indexDir, 'Packages.gz'), gzipSync(packages));
  const rel = (f: string) => join(indexDir, f).slice(releaseDir === '.' ? 0 : releaseDir.length + 1);
  const release = `${fields}Date: ${new Date().toUTCString()}\nSHA256:\n` +
    ['Packages', 'Packages.gz'].map((f) => `${hash(join(repoDir, indexDir, f))} ${rel(f)}\n`).join('');
  writeFileSync(join(repoDir, releaseDir, 'Release'), release);
  gpg('--yes', '--local-user', 'repo@example.org', '--digest-algo', 'SHA256', '--clearsign', '-o', join(repoDir, releaseDir, 'InRelease'), join(repoDir, releaseDir, 'Release'));
}

const lab = labSuite(test, HOST, 24401, async () => {
  mkdirSync(gnupg, { recursive: true, mode: 0o700 });
  gpg('--quick-gen-key', 'shipshape repo <repo@example.org>', 'ed25519', 'sign', '0');
  gpg('--quick-gen-key', 'someone else <wrong@example.org>', 'ed25519', 'sign', '0');
  armored = gpg('--armor', '--export', 'repo@example.org').toString('utf8');
  binary = gpg('--export', 'repo@example.org');
  wrong = gpg('--armor', '--export', 'wrong@example.org').toString('utf8');
  // A repository with suites and components, and a flat one (an exact path).
  buildDeb('shipshape-hello', join(root, 'repo/pool/main'));
  index(join(root, 'repo'), 'pool', 'dists/stable/main/binary-amd64', 'dists/stable', 'Origin: shipshape\nLabel: shipshape\nSuite: stable\nCodename: stable\nArchitectures: amd64\nComponents: main\n');
  buildDeb('shipshape-flat', join(root, 'flat'));
  index(join(root, 'flat'), '.', '.', '.', 'Origin: shipshape-flat\nLabel: shipshape-flat\n');
  srv = await serveLab(root);
}, async () => {
  await srv?.close();
  try { execFileSync('gpgconf', ['--kill', 'gpg-agent'], { env: { ...process.env, GNUPGHOME: gnupg }, stdio: 'ignore' }); } catch { /* no agent started */ }
  local.cleanup();
});

const inReleaseFetches = () => srv!.requests.filter((r) => r.path.endsWith('/InRelease') && r.method === 'GET').length;

function repos(o: { key?: string; arch?: string } = {}) {
  const p = createProject();
  lab.target(p)
    .aptRepository('shipshape-test', { uris: `${srv!.url}/repo`, suites: 'stable', components: 'main', key: o.key ?? armored, architectures: o.arch, name: 'repository' })
    .aptRepository('shipshape-flat', { uris: `${srv!.url}/flat`, suites: './', key: binary, name: 'flat repository' })
    .apt(['shipshape-hello', 'shipshape-flat'], { name: 'apt install from them' });
  return p;
}
const NAMES = ['repository', 'flat repository', 'apt install from them'];

test('two repositories and an install from them: one apt-get update, then nothing on the second run', async () => {
  const first = await deploy(repos());
  expectAll(first, HOST, NAMES, 'changed', 'run 1');
  assert.is(inReleaseFetches(), 2, 'one apt-get update: each repository\'s InRelease fetched once');
  assert.is((await lab.on('cat /usr/share/shipshape-hello/hello.txt /usr/share/shipshape-flat/hello.txt')).out, 'hello from shipshape-hello\nhello from shipshape-flat');
  assert.is((await lab.on('cat /etc/apt/sources.list.d/shipshape-test.sources')).stdout,
    `Types: deb\nURIs: ${srv!.url}/repo\nSuites: stable\nComponents: main\nSigned-By: /etc/apt/keyrings/shipshape-test.asc\n`);
  assert.is((await lab.on('stat -c "%a %U" /etc/apt/keyrings/shipshape-test.asc /etc/apt/keyrings/shipshape-flat.gpg /etc/apt/sources.list.d/shipshape-flat.sources')).out, '644 root\n644 root\n644 root');
  const second = await deploy(repos());
  expectAll(second, HOST, NAMES, 'ok', 'run 2');
  assert.is(inReleaseFetches(), 2, 'no update on the second run');
});

test('check mode with --diff shows the new sources file and leaves the host alone', async () => {
  const before = (await lab.on('sha256sum /etc/apt/sources.list.d/shipshape-test.sources')).out;
  const r = await deploy(repos({ arch: 'amd64' }), { check: true, diff: true });
  assert.is(r.result.exitCode, 0, why(r));
  const t = r.byName.get('repository')!;
  assert.is(t.status, 'changed');
  assert.match(t.changes[0]!.content!.after, 'Architectures: amd64\n');
  assert.is((await lab.on('sha256sum /etc/apt/sources.list.d/shipshape-test.sources')).out, before);
});

test('a wrong key makes apt-get update fail with a clear error; the right key fixes it', async () => {
  const p = createProject();
  lab.target(p).aptRepository('shipshape-test', { uris: `${srv!.url}/repo`, suites: 'stable', components: 'main', key: wrong, name: 'repository' });
  const r = await deploy(p);
  assert.is(r.result.exitCode, 2, 'the run failed');
  const failed = [...r.byName.values()].find((t) => t.status === 'failed');
  assert.ok(failed, why(r));
  const text = failed.error!.explain();
  if (process.env.SHOW_ERRORS) console.log(text);
  assert.match(text, 'apt-get update failed after a repository changed (run once for repository)');
  assert.match(text, /NO_PUBKEY|not signed|signatures couldn't be verified/);
  assert.match(text, `host:    ${HOST}`);
  const fixed = await deploy(repos());
  assert.is(fixed.result.exitCode, 0, why(fixed));
  assert.equal(NAMES.map((n) => fixed.byName.get(n)?.status), ['changed', 'ok', 'ok'], 'only the key changed');
  assert.is((await lab.on('apt-cache policy shipshape-hello | grep -c "/repo stable/main"')).out, '1', 'the lists were updated with the right key');
});

test('state absent removes the sources file and the key, once', async () => {
  const gone = () => {
    const p = createProject();
    lab.target(p).aptRepository('shipshape-flat', { state: 'absent', name: 'flat absent' } as never);
    return p;
  };
  expectAll(await deploy(gone()), HOST, ['flat absent'], 'changed', 'absent run 1');
  assert.is((await lab.on('ls /etc/apt/sources.list.d/shipshape-flat.sources /etc/apt/keyrings/shipshape-flat.gpg 2>&1 | grep -c "No such"')).out, '2');
  expectAll(await deploy(gone()), HOST, ['flat absent'], 'ok', 'absent run 2');
});

test.run();
