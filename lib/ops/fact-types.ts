// The extended facts: what the batched probe gathers only when the plan may read it
// (see lib/engine/facts-needed.ts). Each top-level field is one group.

/** The groups of extended facts, each a field of {@link ExtendedFacts}. */
export const FACT_GROUPS = ['memory', 'network', 'mounts', 'blockDevices', 'packages', 'users', 'groups', 'python'] as const;
export type FactGroup = (typeof FACT_GROUPS)[number];

/** From /proc/meminfo, in MiB (kB / 1024, rounded down, as Ansible's `memtotal_mb`). */
export interface MemoryFacts {
  totalMb: number;
  /** MemAvailable (MemFree + Buffers + Cached on kernels before 3.14). */
  availableMb: number;
  swapTotalMb: number;
  swapFreeMb: number;
}

export interface IpAddress {
  address: string;
  /** Prefix length: 24 for 10.77.0.11/24. */
  prefix: number;
  /** `global`, `link`, `host`, `site`. */
  scope: string;
}

export interface NetworkInterface {
  /** '' when the interface has none (a tunnel). */
  mac: string;
  ipv4: IpAddress[];
  ipv6: IpAddress[];
}

/** The default route of one address family. */
export interface DefaultRoute {
  interface: string;
  /** '' for a route straight onto the link (no `via`). */
  gateway: string;
  /** The route's `src`, else the interface's first address of the family; '' when it has none. */
  address: string;
}

export interface NetworkFacts {
  /** By interface name (`eth0`, without an `@if5` peer suffix). */
  interfaces: Record<string, NetworkInterface>;
  /** null when the host has no IPv4 default route. */
  defaultIpv4: DefaultRoute | null;
  defaultIpv6: DefaultRoute | null;
}

export interface MountFacts {
  device: string;
  mountpoint: string;
  fstype: string;
  /** null when `df` could not tell (missing, or it timed out on a hung network mount). */
  sizeMb: number | null;
  availableMb: number | null;
}

/** A whole disk or a partition, from /proc/partitions. */
export interface BlockDeviceFacts {
  name: string;
  sizeMb: number;
}

export interface UserFacts {
  uid: number;
  gid: number;
  /** The GECOS field (full name). */
  comment: string;
  home: string;
  shell: string;
}

export interface GroupFacts {
  gid: number;
  /** Supplementary members, as /etc/group lists them (not users whose primary group it is). */
  members: string[];
}

export interface PythonFacts {
  /** Where `python3` is on the login user's PATH; '' when there is none. */
  path: string;
  /**
   * Its version, read without running it: the package that owns the file (dpkg, rpm), else
   * the name the symlink points to (`python3.11` gives `3.11`); '' when neither tells.
   */
  version: string;
}

/** Fields gathered when the plan may read them. */
export interface ExtendedFacts {
  memory: MemoryFacts;
  network: NetworkFacts;
  /** Mounted filesystems that `df` reports (pseudo filesystems left out), in its order. */
  mounts: MountFacts[];
  blockDevices: BlockDeviceFacts[];
  /** Installed packages, name → version (dpkg on Debian, else rpm; `{}` when neither is there). */
  packages: Record<string, string>;
  /** By user name, from `getent passwd` (else /etc/passwd). */
  users: Record<string, UserFacts>;
  /** By group name, from `getent group` (else /etc/group). */
  groups: Record<string, GroupFacts>;
  python: PythonFacts;
}

/** What manages services, as Ansible's `service_mgr`. */
export type ServiceManager = 'systemd' | 'openrc' | 'runit' | 's6' | 'upstart' | 'sysvinit' | 'unknown';
