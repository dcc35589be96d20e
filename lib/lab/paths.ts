/** Where the lab keeps things: one lab dir with the shared cache, and per-cluster state. */
import { createHash } from 'node:crypto';
import { existsSync, realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ShipshapeError } from '../errors.js';

export const DEFAULT_LAB_DIR = '/var/cache/shipshape/lab';
export const BRIDGE = 'ss-br0';
export const SUBNET = '10.77.0';
export const BRIDGE_ADDRESS = `${SUBNET}.1`;

/** Layout of a lab dir. Base versions live in `base/<key>/`, so a recipe change never pulls the floor from under running hosts. */
export interface LabPaths {
  root: string;
  lock: string;
  sshKey: string;
  bin: string;
  baseRoot: string;
  clusters: string;
}

/**
 * The lab dir: the option, else `$SHIPSHAPE_LAB_DIR`, else /var/cache/shipshape/lab. Refuses
 * a path overlayfs options cannot hold.
 *
 * @example
 * labPaths().sshKey   // '/var/cache/shipshape/lab/ssh/id_ed25519'
 */
export function labPaths(labDir?: string): LabPaths {
  const root = resolve(labDir ?? process.env.SHIPSHAPE_LAB_DIR ?? DEFAULT_LAB_DIR);
  // overlayfs options are comma- and colon-separated: such a path cannot be a lowerdir
  if (/[,:\s]/.test(root)) {
    throw new ShipshapeError(`the lab dir ${root} contains a comma, colon or space, which overlayfs options cannot hold`, {
      fix: 'set SHIPSHAPE_LAB_DIR to a plain path such as /var/cache/shipshape/lab',
    });
  }
  return {
    root,
    lock: join(root, 'lock'),
    sshKey: join(root, 'ssh', 'id_ed25519'),
    bin: join(root, 'bin'),
    baseRoot: join(root, 'base'),
    clusters: join(root, 'clusters'),
  };
}

/** A built base: root filesystem, local apt repository and pip wheelhouse of one recipe version. */
export interface BasePaths {
  dir: string;
  rootfs: string;
  repo: string;
  wheelhouse: string;
  stamp: string;
}

/**
 * Layout of one built base dir; the same layout serves the temp dir a build starts in.
 *
 * @example
 * basePaths(join(lab.baseRoot, recipeKey(r))).rootfs   // '/var/cache/shipshape/lab/base/<key>/rootfs'
 */
export function basePaths(dir: string): BasePaths {
  return { dir, rootfs: join(dir, 'rootfs'), repo: join(dir, 'repo'), wheelhouse: join(dir, 'wheelhouse'), stamp: join(dir, 'stamp.json') };
}

/**
 * The cluster file's absolute path (symlinks resolved when it exists), which keys its state.
 *
 * @example
 * clusterPath('cluster.json')   // '/srv/demo/cluster.json' when run in /srv/demo
 */
export function clusterPath(clusterFile: string): string {
  const abs = resolve(clusterFile);
  return existsSync(abs) ? realpathSync(abs) : abs;
}

/**
 * Short hash of the cluster file's absolute path: names its state dir, namespaces and veths.
 *
 * @example
 * clusterKey('cluster.json')   // '1a2b3c4d5e6f' (12 hex digits)
 */
export function clusterKey(clusterFile: string): string {
  return createHash('sha256').update(clusterPath(clusterFile)).digest('hex').slice(0, 12);
}

export interface ClusterPaths {
  dir: string;
  state: string;
  hosts: string;
  forwarderLog: string;
}

/**
 * Layout of one cluster's state dir inside the lab dir.
 *
 * @example
 * clusterPaths(labPaths(), '1a2b3c4d5e6f').state   // '/var/cache/shipshape/lab/clusters/1a2b3c4d5e6f/state.json'
 */
export function clusterPaths(lab: LabPaths, key: string): ClusterPaths {
  const dir = join(lab.clusters, key);
  return { dir, state: join(dir, 'state.json'), hosts: join(dir, 'hosts'), forwarderLog: join(dir, 'forwarder.log') };
}

export interface HostPaths {
  dir: string;
  upper: string;
  work: string;
  merged: string;
  keys: string;
  console: string;
}

/**
 * Layout of one host's dir: overlay upper/work/merged, its kept host keys, its console log.
 *
 * @example
 * hostPaths(cluster, 'web-01').console   // '<cluster dir>/hosts/web-01/console.log'
 */
export function hostPaths(cluster: ClusterPaths, name: string): HostPaths {
  const dir = join(cluster.hosts, name);
  return {
    dir, upper: join(dir, 'upper'), work: join(dir, 'work'), merged: join(dir, 'merged'),
    keys: join(dir, 'keys'), console: join(dir, 'console.log'),
  };
}

/**
 * Where the seed's inventory looks for a node's key: `.vagrant/machines/<host>/virtualbox/private_key` next to cluster.json.
 *
 * @example
 * vagrantKeyPath('/srv/demo/cluster.json', 'web-01')   // '/srv/demo/.vagrant/machines/web-01/virtualbox/private_key'
 */
export function vagrantKeyPath(clusterFile: string, hostName: string): string {
  return join(dirname(clusterPath(clusterFile)), '.vagrant', 'machines', hostName, 'virtualbox', 'private_key');
}

/**
 * The known_hosts file `lab up` writes to unless told otherwise: the one ssh and the SSH
 * transport read by default.
 *
 * @example
 * defaultKnownHosts()   // '/root/.ssh/known_hosts'
 */
export function defaultKnownHosts(): string {
  return join(homedir(), '.ssh', 'known_hosts');
}

/**
 * A file shipped next to this module (e.g. deb2wheel.py), from the sources or from dist/.
 *
 * @example
 * resourcePath('deb2wheel.py')   // '<checkout>/lib/lab/deb2wheel.py'
 */
export function resourcePath(name: string): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, name), resolve(here, '..', '..', '..', 'lib', 'lab', name)];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new ShipshapeError(`the lab resource ${name} is missing (looked in ${candidates.join(', ')})`);
  return found;
}
