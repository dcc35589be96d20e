/**
 * The local apt repository and pip wheelhouse served to lab hosts (they have no outside
 * network). Packages are downloaded by apt inside a throw-away overlay of the base, in the
 * controller's network namespace, so exactly what the base lacks is fetched.
 */
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ShipshapeError } from '../errors.js';
import { resourcePath, type BasePaths } from './paths.js';
import { removeTree } from './remove.js';
import { run } from './run.js';

// Runs in a private mount namespace: every mount vanishes with it, even after a crash.
const DOWNLOAD = `set -eu
lower=$1 up=$2 work=$3 m=$4 out=$5 wheels=$6 py=$7 sources=$8 wheelpkgs=$9
shift 9
mount -t overlay overlay -o "lowerdir=$lower,upperdir=$up,workdir=$work" "$m"
mount -t proc proc "$m/proc"
mount --rbind /dev "$m/dev"
mount -t tmpfs tmpfs "$m/run"
mount -t tmpfs tmpfs "$m/tmp"
mkdir -p "$m/out" "$m/wheels"
mount --bind "$out" "$m/out"
mount --bind "$wheels" "$m/wheels"
cp -L /etc/resolv.conf "$m/etc/resolv.conf"
cp "$sources" "$m/etc/apt/sources.list"
cp "$py" "$m/tmp/deb2wheel.py"
apt="apt-get -q -o APT::Sandbox::User=root -o Acquire::Retries=3"
chroot "$m" $apt update >/dev/null
chroot "$m" env DEBIAN_FRONTEND=noninteractive $apt -y -o Dir::Cache::archives=/out/ install --download-only "$@" >/dev/null
for p in $wheelpkgs; do
  for d in "$m"/out/"$p"_*.deb; do chroot "$m" python3 /tmp/deb2wheel.py "/out/\${d##*/}" /wheels >/dev/null; done
done
# the venv's own pip/setuptools/wheel, so "pip install -U pip" works offline too
for d in "$m"/out/python3-pip-whl_*.deb "$m"/out/python3-setuptools-whl_*.deb "$m"/out/python3-wheel-whl_*.deb; do
  if [ -e "$d" ]; then dpkg-deb -x "$d" "$m/tmp/whl"; fi
done
if [ -d "$m/tmp/whl/usr/share/python-wheels" ]; then cp "$m"/tmp/whl/usr/share/python-wheels/*.whl "$wheels"/; fi
`;

// Fills the base's apt lists from the local repo, so "apt-get install" works without an update first.
const LISTS = `set -eu
root=$1 repo=$2
mount --bind "$repo" "$root/srv/localrepo"
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev"
chroot "$root" apt-get -q -o APT::Sandbox::User=root update >/dev/null
rm -f "$root"/var/cache/apt/*.bin
`;

/**
 * Builds `base.repo` (flat apt repository: `deb [trusted=yes] file:/srv/localrepo ./`) and
 * `base.wheelhouse` next to `base.rootfs`, then fills the rootfs's apt lists from the repo,
 * so hosts install packages with no internet. Returns the number of packages in the repository.
 *
 * @example
 * const debs = await buildRepo(base, r.mirror, REPO_PACKAGES, WHEEL_PACKAGES)   // e.g. 120
 */
export async function buildRepo(base: BasePaths, mirror: string[], packages: string[], wheelPackages: string[]): Promise<number> {
  const b = join(base.dir, 'builder');
  for (const d of ['upper', 'work', 'merged']) mkdirSync(join(b, d), { recursive: true });
  mkdirSync(join(base.repo, 'partial'), { recursive: true });
  mkdirSync(base.wheelhouse, { recursive: true });
  const sources = join(b, 'sources.list');
  writeFileSync(sources, mirror.join('\n') + '\n');
  try {
    await run('unshare', ['--mount', '--propagation', 'private', '/bin/sh', '-c', DOWNLOAD, 'lab-repo',
      base.rootfs, join(b, 'upper'), join(b, 'work'), join(b, 'merged'), base.repo, base.wheelhouse,
      resourcePath('deb2wheel.py'), sources, wheelPackages.join(' '), ...packages,
    ], { what: 'could not download the packages of the lab\'s local apt repository', fix: 'check that this machine reaches its Debian mirror (apt-get update)' });
  } finally {
    removeTree(b);
  }
  rmSync(join(base.repo, 'partial'), { recursive: true, force: true });
  rmSync(join(base.repo, 'lock'), { force: true });
  const debs = readdirSync(base.repo).filter((f) => f.endsWith('.deb'));
  if (!debs.length) throw new ShipshapeError(`the lab's apt repository ${base.repo} is empty after the download`);
  const wheels = readdirSync(base.wheelhouse).filter((f) => f.endsWith('.whl'));
  if (!wheels.some((w) => w.startsWith('gunicorn-'))) throw new ShipshapeError(`no gunicorn wheel in ${base.wheelhouse} after the build`);

  const scan = await run('dpkg-scanpackages', ['--multiversion', '.'], { cwd: base.repo });
  writeFileSync(join(base.repo, 'Packages'), scan.stdout);
  writeFileSync(join(base.repo, 'Packages.gz'), gzipSync(Buffer.from(scan.stdout), { level: 9 }));
  const release = await run('apt-ftparchive', ['release', '.'], { cwd: base.repo });
  writeFileSync(join(base.repo, 'Release'), release.stdout);
  for (const dir of [base.repo, base.wheelhouse]) {
    chmodSync(dir, 0o755);
    for (const f of readdirSync(dir)) chmodSync(join(dir, f), 0o644);
  }
  await run('unshare', ['--mount', '--propagation', 'private', '/bin/sh', '-c', LISTS, 'lab-lists', base.rootfs, base.repo],
    { what: 'could not read the lab\'s local apt repository from the base' });
  if (!readFileSync(join(base.repo, 'Packages'), 'utf8').includes('Package: nginx')) {
    throw new ShipshapeError(`the lab's apt repository ${base.repo} has no nginx`);
  }
  return debs.length;
}
