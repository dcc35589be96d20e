import type { Secret } from '../secret.js';
import type { Become } from '../transport/types.js';

/** How to reach a host, and its variables. Anything not said comes from ~/.ssh/config. */
export interface HostOptions {
  /** `ssh` (default) or `local` (this machine, no SSH). */
  transport?: 'ssh' | 'local';
  /** Address to connect to; the host's name when absent. */
  address?: string;
  port?: number;
  user?: string;
  /** Path of a private key file (`~` expanded). */
  privateKey?: string;
  passphrase?: string | Secret;
  /** Become for every operation on this host unless an operation says otherwise. */
  become?: Become;
  knownHostsFile?: string;
  proxyJump?: string;
  /**
   * Where shipshape keeps its state on the host (handler notifications still pending after
   * a failed run). Default: /var/lib/shipshape when the probe runs as root, else
   * ~/.local/state/shipshape. For `transport: 'local'`, $SHIPSHAPE_STATE_DIR also sets it.
   */
  stateDir?: string;
  /**
   * Seconds between SSH keepalive probes, and how many may go unanswered before the host is
   * called unreachable (defaults 10 and 3, or ServerAliveInterval/ServerAliveCountMax from
   * ~/.ssh/config): a dropped link is noticed after about interval × (count + 1).
   */
  keepaliveInterval?: number;
  keepaliveCountMax?: number;
  /** Accept `ssh-rsa` (SHA-1) host keys and signatures for this host (old servers only). */
  allowSshRsa?: boolean;
  /** Host variables: templates see them, `when` gets them as `facts.vars`. */
  vars?: Record<string, unknown>;
}

/**
 * A group with its own variables and child groups, as Ansible's `{ hosts, vars, children }`.
 * Its hosts get its variables (and its parents'), below their own; a child's hosts are
 * the group's hosts too.
 */
export interface GroupData {
  hosts?: string[];
  vars?: Record<string, unknown>;
  /** Names of the groups inside this one. */
  children?: string[];
}

/**
 * The inventory as an object: hosts with their options, groups with their members (a list
 * of host names, or a {@link GroupData} with variables and children).
 */
export interface InventoryData {
  hosts?: Record<string, HostOptions>;
  groups?: Record<string, string[] | GroupData>;
}
