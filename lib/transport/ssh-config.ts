import { existsSync, readFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import SSHConfig from 'ssh-config';

/** What `~/.ssh/config` says about one host alias; every field is absent when not set. */
export interface SshConfigEntry {
  hostName?: string;
  user?: string;
  port?: number;
  /** `~` and `%d %h %p %r %u %%` expanded, in the file's order. */
  identityFiles?: string[];
  proxyJump?: string;
  userKnownHostsFiles?: string[];
  identityAgent?: string;
  /** HostKeyAlgorithms or PubkeyAcceptedAlgorithms (PubkeyAcceptedKeyTypes) name `ssh-rsa`. */
  allowSshRsa?: boolean;
  /** ServerAliveInterval (seconds → ms) and ServerAliveCountMax. */
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
}

/**
 * The default OpenSSH client config of the current user.
 *
 * @example
 * defaultSshConfigPath()   // '/root/.ssh/config'
 */
export function defaultSshConfigPath(): string {
  return join(homedir(), '.ssh', 'config');
}

/**
 * Expands a leading `~` (and `~/`) to the home folder.
 *
 * @example
 * expandHome('~/.ssh/id_ed25519')   // '/root/.ssh/id_ed25519'
 */
export function expandHome(p: string): string {
  if (p === '~') return homedir();
  return p.startsWith('~/') ? join(homedir(), p.slice(2)) : p;
}

/**
 * Reads `~/.ssh/config` (or `configPath`) for one host alias, as `ssh ALIAS` would see it:
 * first value wins, `IdentityFile` accumulates. A missing file gives `{}`. `Match exec`
 * lines are not run.
 *
 * @example
 * const c = sshConfigFor('web-01');   // { hostName: '10.77.0.11', user: 'vagrant', port: 22, ... }
 */
export function sshConfigFor(hostAlias: string, configPath: string = defaultSshConfigPath()): SshConfigEntry {
  const path = expandHome(configPath);
  if (!existsSync(path)) return {};
  const raw = SSHConfig.parse(readFileSync(path, 'utf8')).compute(hostAlias, { ignoreCase: true, matchExec: false });
  const one = (k: string): string | undefined => {
    const v = raw[k];
    const s = Array.isArray(v) ? v[0] : v;
    return s === undefined || s === '' || s.toLowerCase() === 'none' ? undefined : s;
  };
  const many = (k: string): string[] | undefined => {
    const v = raw[k];
    const list = (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter((s) => s !== '' && s.toLowerCase() !== 'none');
    return list.length ? list : undefined;
  };
  const out: SshConfigEntry = {};
  const hostName = one('hostname');
  if (hostName) out.hostName = hostName.replace(/%h/g, hostAlias).replace(/%%/g, '%');
  const user = one('user');
  if (user) out.user = user;
  const port = one('port');
  if (port && /^\d+$/.test(port)) out.port = Number(port);
  const tokens = { h: out.hostName ?? hostAlias, p: String(out.port ?? 22), r: out.user ?? localUser() };
  const ids = many('identityfile');
  if (ids) out.identityFiles = ids.map((f) => expandTokens(f, tokens));
  const jump = one('proxyjump');
  if (jump) out.proxyJump = jump;
  const kh = many('userknownhostsfile');
  if (kh) out.userKnownHostsFiles = kh.map((f) => expandTokens(f, tokens));
  const agent = one('identityagent');
  if (agent) out.identityAgent = agent === 'SSH_AUTH_SOCK' ? process.env.SSH_AUTH_SOCK : expandTokens(agent, tokens);
  if (out.identityAgent === undefined) delete out.identityAgent;
  const algos = ['hostkeyalgorithms', 'pubkeyacceptedalgorithms', 'pubkeyacceptedkeytypes'].map(one);
  if (algos.some((a) => a !== undefined && /(^|[,+^])ssh-rsa(,|$)/.test(a))) out.allowSshRsa = true;
  const alive = one('serveraliveinterval');
  if (alive && /^[1-9]\d{0,4}$/.test(alive)) out.keepaliveIntervalMs = Number(alive) * 1000;
  const aliveMax = one('serveralivecountmax');
  if (aliveMax && /^[1-9]\d{0,3}$/.test(aliveMax)) out.keepaliveCountMax = Number(aliveMax);
  return out;
}

function expandTokens(p: string, t: { h: string; p: string; r: string }): string {
  const s = p.replace(/%([%dhpru])/g, (_, c: string) =>
    c === '%' ? '%' : c === 'd' ? homedir() : c === 'h' ? t.h : c === 'p' ? t.p : c === 'r' ? t.r : localUser());
  return expandHome(s);
}

function localUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'root';
  }
}
