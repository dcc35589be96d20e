import { existsSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import { registerSecret, reveal, type Secret } from '../secret.js';
import { expandHome, sshConfigFor, type SshConfigEntry } from './ssh-config.js';

const GLOBAL_KNOWN_HOSTS = ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'];

/** How to reach one host over SSH. Unset fields come from `~/.ssh/config`, then defaults. */
export interface SshConnectOptions {
  /** The host's name in the inventory: used in messages and to look up `~/.ssh/config`. */
  host: string;
  /** What to connect to (IP or DNS name); default: `HostName` from `~/.ssh/config`, else `host`. */
  address?: string;
  port?: number;
  user?: string;
  /** Path of a private key file (`~` expanded). */
  privateKey?: string;
  passphrase?: string | Secret;
  /** ssh-agent socket; default `$SSH_AUTH_SOCK`. `false`: do not use an agent. */
  agent?: string | false;
  /** known_hosts file(s) to check and to record new keys in (the first); default `~/.ssh/known_hosts`. */
  knownHostsFile?: string | string[];
  /**
   * System-wide known_hosts, read but never written (OpenSSH's GlobalKnownHostsFile);
   * default `/etc/ssh/ssh_known_hosts` and `/etc/ssh/ssh_known_hosts2`. `false`: none.
   */
  globalKnownHostsFile?: string | string[] | false;
  /** Record the key of a host seen for the first time instead of refusing it. A changed key is always refused. */
  acceptNewHostKeys?: boolean;
  /** Per attempt, TCP connect through login (default 10000). */
  connectTimeoutMs?: number;
  /** Further attempts after a failed connect (default 2); never after a refused login or host key. */
  retries?: number;
  /** A jump host: `[user@]host[:port]` (comma list for a chain), or its full options; `'none'` for none. */
  proxyJump?: string | SshConnectOptions;
  /** Keepalive probe interval (default 10000); the connection is declared lost after 3 unanswered. */
  keepaliveIntervalMs?: number;
  /** Unanswered keepalives before the connection counts as lost (default 3). */
  keepaliveCountMax?: number;
  /** Exec channels open at once on the connection (default 8; SFTP takes one more). */
  maxChannels?: number;
  /** OpenSSH client config to read; default `~/.ssh/config`; `false`: read none. */
  sshConfigFile?: string | false;
  /**
   * Allow `ssh-rsa` signatures (RSA with SHA-1) for this host: its host key, and our login
   * with an RSA key when the server accepts nothing better. Off by default, as in OpenSSH
   * 8.8+; also on when `~/.ssh/config` adds `ssh-rsa` to HostKeyAlgorithms or
   * PubkeyAcceptedAlgorithms for the host.
   */
  allowSshRsa?: boolean;
}

/** Options with every default applied: what a connect attempt uses. */
export interface ResolvedSshOptions {
  host: string;
  address: string;
  port: number;
  user: string;
  /** Key files to offer, in order (the explicit one, else IdentityFile lines, else the default names that exist). */
  keyFiles: string[];
  passphrase?: string;
  agent?: string;
  knownHostsFiles: string[];
  globalKnownHostsFiles: string[];
  acceptNewHostKeys: boolean;
  connectTimeoutMs: number;
  retries: number;
  jump?: ResolvedSshOptions;
  keepaliveIntervalMs: number;
  keepaliveCountMax: number;
  maxChannels: number;
  allowSshRsa: boolean;
}

const DEFAULT_KEYS = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

/**
 * How messages name a host: `web-01 (10.77.0.11:22)`, or `10.77.0.11:22` when the name is the address.
 *
 * @example
 * where({ host: 'web-01', address: '10.77.0.11', port: 22 })   // 'web-01 (10.77.0.11:22)'
 */
export function where(o: Pick<ResolvedSshOptions, 'host' | 'address' | 'port'>): string {
  return o.host === o.address ? `${o.address}:${o.port}` : `${o.host} (${o.address}:${o.port})`;
}


/**
 * Applies `~/.ssh/config` and defaults to connect options: the call's own values win, then
 * the config file's, then OpenSSH's defaults.
 *
 * @example
 * resolveSshOptions({ host: 'web-01', user: 'vagrant' }).address   // '10.77.0.11' from HostName
 */
export function resolveSshOptions(opts: SshConnectOptions): ResolvedSshOptions {
  const cfgPath = opts.sshConfigFile;
  const cfg: SshConfigEntry = cfgPath === false ? {} : sshConfigFor(opts.host, cfgPath);
  const keyFiles = opts.privateKey
    ? [expandHome(opts.privateKey)]
    : cfg.identityFiles ?? DEFAULT_KEYS.map((k) => join(homedir(), '.ssh', k)).filter((f) => existsSync(f));
  const agent = opts.agent === false ? undefined : opts.agent ?? cfg.identityAgent ?? process.env.SSH_AUTH_SOCK;
  const given = opts.knownHostsFile === undefined ? [] : ([] as string[]).concat(opts.knownHostsFile);
  const known = given.length ? given : cfg.userKnownHostsFiles ?? [join(homedir(), '.ssh', 'known_hosts')];
  // A passphrase from an inventory as a plain string is as secret as one wrapped in secret().
  if (typeof opts.passphrase === 'string') registerSecret(opts.passphrase);
  const r: ResolvedSshOptions = {
    host: opts.host,
    address: opts.address ?? cfg.hostName ?? opts.host,
    port: opts.port ?? cfg.port ?? 22,
    user: opts.user ?? cfg.user ?? localUser(),
    keyFiles,
    passphrase: opts.passphrase === undefined ? undefined : reveal(opts.passphrase),
    agent: agent || undefined,
    knownHostsFiles: known.map(expandHome),
    globalKnownHostsFiles: opts.globalKnownHostsFile === false ? []
      : opts.globalKnownHostsFile === undefined ? GLOBAL_KNOWN_HOSTS : ([] as string[]).concat(opts.globalKnownHostsFile),
    acceptNewHostKeys: opts.acceptNewHostKeys ?? false,
    connectTimeoutMs: opts.connectTimeoutMs ?? 10_000,
    retries: opts.retries ?? 2,
    keepaliveIntervalMs: opts.keepaliveIntervalMs ?? cfg.keepaliveIntervalMs ?? 10_000,
    keepaliveCountMax: opts.keepaliveCountMax ?? cfg.keepaliveCountMax ?? 3,
    maxChannels: opts.maxChannels ?? 8,
    allowSshRsa: opts.allowSshRsa ?? cfg.allowSshRsa ?? false,
  };
  const jump = opts.proxyJump ?? cfg.proxyJump;
  if (jump !== undefined && jump !== 'none') r.jump = resolveJump(jump, opts);
  return r;
}

/**
 * Turns a ProxyJump value into the options of the last jump host: `a,b` means reach `b`
 * through `a`. A jump host inherits host-key, agent and timeout settings from the target,
 * never its key file or passphrase: a jump host logs in with what is configured for it (its
 * own options, its IdentityFile in ~/.ssh/config, the agent, the default key files), so the
 * target's key is not offered to a host that has no business seeing it.
 */
function resolveJump(jump: string | SshConnectOptions, target: SshConnectOptions): ResolvedSshOptions {
  const inherited: Partial<SshConnectOptions> = {
    agent: target.agent,
    knownHostsFile: target.knownHostsFile,
    acceptNewHostKeys: target.acceptNewHostKeys,
    connectTimeoutMs: target.connectTimeoutMs,
    retries: target.retries,
    keepaliveIntervalMs: target.keepaliveIntervalMs,
    keepaliveCountMax: target.keepaliveCountMax,
    sshConfigFile: target.sshConfigFile,
  };
  if (typeof jump !== 'string') return resolveSshOptions({ ...inherited, ...jump });
  let prev: SshConnectOptions | 'none' = 'none';
  for (const hop of jump.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(?:([^@]+)@)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(hop.replace(/^ssh:\/\//, ''));
    if (!m) throw new TypeError(`cannot read ProxyJump ${JSON.stringify(hop)}: expected [user@]host[:port]`);
    const name = m[2]!.replace(/^\[|\]$/g, '');
    prev = {
      host: name,
      user: m[1],
      port: m[3] ? Number(m[3]) : undefined,
      ...inherited,
      proxyJump: prev,
    };
  }
  if (prev === 'none') throw new TypeError(`ProxyJump ${JSON.stringify(jump)} names no host`);
  return resolveSshOptions(prev);
}

function localUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'root';
  }
}
