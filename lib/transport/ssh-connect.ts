import type { Duplex } from 'node:stream';
import createDebug from 'debug';
import ssh2 from 'ssh2';
import type { ConnectConfig } from 'ssh2';
import { ShipshapeError } from '../errors.js';
import { isHostName, readKnownHosts } from './known-hosts.js';
import { authMethods, SHA1_REFUSED } from './ssh-auth.js';
import { handshakeError, hostKeyAlgorithms, recordHostKey, verifyHostKey } from './ssh-host-key.js';
import { where, type ResolvedSshOptions } from './ssh-options.js';

export { where } from './ssh-options.js';

const { Client } = ssh2;
type SshClient = InstanceType<typeof Client>;
const log = createDebug('shipshape:ssh');

/** A logged-in connection and the jump connections it runs through (closed with it). */
export interface SshConnection {
  client: SshClient;
  jumps: SshClient[];
}

const RETRYABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EAI_AGAIN', 'EPIPE']);

/**
 * Connects and logs in, through jump hosts if any, retrying connect errors (not refused
 * logins or host keys) with backoff. Rejects with a `ShipshapeError` whose `unreachable` is true.
 *
 * @example
 * const { client } = await connectSshClient(resolveSshOptions({ host: 'web-01' }));
 */
export async function connectSshClient(o: ResolvedSshOptions): Promise<SshConnection> {
  const jumps: SshConnection[] = [];
  try {
    if (o.jump) jumps.push(await connectSshClient(o.jump));
    const via = jumps[0]?.client;
    for (let attempt = 0; ; attempt++) {
      try {
        const sock = via ? await forward(via, o) : undefined;
        const client = await connectOnce(o, sock);
        return { client, jumps: jumps.flatMap((j) => [j.client, ...j.jumps]) };
      } catch (e) {
        const err = e as ShipshapeError & { retryable?: boolean };
        if (!err.retryable || attempt >= o.retries) throw err;
        const wait = 250 * 2 ** attempt;
        log('%s: %s; attempt %d of %d in %d ms', where(o), err.message, attempt + 2, o.retries + 1, wait);
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  } catch (e) {
    for (const j of jumps) endAll(j);
    throw e;
  }
}

/**
 * Ends a connection and its jump connections.
 *
 * @example
 * endAll(await connectSshClient(options));
 */
export function endAll(c: SshConnection): void {
  c.client.end();
  for (const j of c.jumps) j.end();
}

function forward(via: SshClient, o: ResolvedSshOptions): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    via.forwardOut('127.0.0.1', 0, o.address, o.port, (err, stream) => {
      if (!err) return resolve(stream);
      const e = new ShipshapeError(`cannot connect to ${where(o)} through the jump host: ${err.message}`, {
        host: o.host, unreachable: true, cause: err,
        fix: `check that the jump host can reach ${o.address}:${o.port} and allows TCP forwarding (AllowTcpForwarding)`,
      });
      reject(Object.assign(e, { retryable: true }));
    });
  });
}

function connectOnce(o: ResolvedSshOptions, sock?: Duplex): Promise<SshClient> {
  if (!isHostName(o.address)) {
    // It would end up in a known_hosts line: a newline or a comma there writes other lines.
    throw new ShipshapeError(`cannot connect to ${o.host}: its address ${JSON.stringify(o.address)} is not a host name or IP address`, {
      host: o.host, unreachable: true, fix: 'give the host an address of letters, digits, ".", "-", ":" only (inventory address, or HostName in ~/.ssh/config)',
    });
  }
  const auth = authMethods(o);
  const known = readKnownHosts([...o.knownHostsFiles, ...o.globalKnownHostsFiles]);
  const algos = hostKeyAlgorithms(o, known);
  let hostKeyError: ShipshapeError | undefined;
  // A new key is recorded once the connection is up: ssh2 asks hostVerifier before it checked
  // the server's signature, so at that point anyone could have sent someone else's public key.
  let newKey: Buffer | undefined;
  const client = new Client();
  const config: ConnectConfig = {
    host: o.address,
    port: o.port,
    username: o.user,
    sock: sock as ConnectConfig['sock'],
    readyTimeout: o.connectTimeoutMs,
    keepaliveInterval: o.keepaliveIntervalMs,
    keepaliveCountMax: o.keepaliveCountMax,
    authHandler: auth.methods,
    algorithms: { serverHostKey: algos as NonNullable<ConnectConfig['algorithms']>['serverHostKey'] },
    hostVerifier: (key: Buffer) => {
      const v = verifyHostKey(o, key);
      hostKeyError = v.error;
      if (v.record) newKey = key;
      return hostKeyError === undefined;
    },
  };
  log('connect %s as %s (keys: %s; agent: %s; host keys: %s)', where(o), o.user, o.keyFiles.join(', ') || 'none', o.agent ?? 'none', algos.join(','));
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (e: ShipshapeError & { retryable?: boolean }) => {
      if (settled) return;
      settled = true;
      client.removeAllListeners('ready');
      client.on('error', () => { /* late errors after a failed login are of no interest */ });
      client.end();
      reject(e);
    };
    client.once('ready', () => {
      if (settled) return;
      if (newKey) {
        const err = recordHostKey(o, newKey);
        if (err) return fail(err);
      }
      settled = true;
      log('connected %s', where(o));
      resolve(client);
    });
    client.on('error', (err: Error & { level?: string; code?: string }) => {
      if (settled) return;
      fail(hostKeyError ?? handshakeError(o, err, known) ?? connectError(o, err, auth.described));
    });
    client.on('close', () => fail(hostKeyError ?? Object.assign(new ShipshapeError(`cannot connect to ${where(o)}: the server closed the connection during login`, {
      host: o.host, unreachable: true, fix: `check the server's sshd log; try: ssh -p ${o.port} ${o.user}@${o.address}`,
    }), { retryable: true })));
    try {
      client.connect(config);
      // Without it Nagle holds each small request until the server's delayed ACK: ~40 ms a command.
      client.setNoDelay(true);
    } catch (e) {
      fail(new ShipshapeError(`cannot connect to ${where(o)}: ${(e as Error).message}`, { host: o.host, unreachable: true, cause: e }));
    }
  });
}

function connectError(o: ResolvedSshOptions, err: Error & { level?: string; code?: string }, auth: string): ShipshapeError & { retryable?: boolean } {
  const ctx = { host: o.host, unreachable: true, cause: err };
  if (err.message.includes(SHA1_REFUSED)) {
    return new ShipshapeError(`cannot log in to ${where(o)} as ${o.user}: the server takes RSA key signatures only with SHA-1 (ssh-rsa), which is refused here`, {
      ...ctx, fix: 'log in with an ed25519 or ecdsa key, update the server (OpenSSH 7.2+ takes rsa-sha2-256), or allow SHA-1 for this host: allowSshRsa: true (or PubkeyAcceptedAlgorithms +ssh-rsa in ~/.ssh/config)',
    });
  }
  if (err.level === 'client-authentication') {
    return new ShipshapeError(`cannot log in to ${where(o)} as ${o.user}: the server refused ${auth}`, {
      ...ctx, fix: `check the user and that the public key is in ~${o.user}/.ssh/authorized_keys on the host; try: ssh -p ${o.port} ${o.user}@${o.address}`,
    });
  }
  if (err.level === 'client-timeout') {
    return Object.assign(new ShipshapeError(`cannot connect to ${where(o)}: no answer within ${o.connectTimeoutMs / 1000} s`, {
      ...ctx, fix: `check that the host is up and ${o.address}:${o.port} is reachable; raise connectTimeoutMs for a slow link`,
    }), { retryable: true });
  }
  if (err.code && (RETRYABLE.has(err.code) || err.level === 'client-socket')) {
    const reason = err.code === 'ECONNREFUSED' ? 'connection refused' : err.code === 'ENOTFOUND' ? `no such host ${o.address}` : err.message;
    const fix = err.code === 'ECONNREFUSED' ? `is sshd running on ${o.address} and listening on port ${o.port}?`
      : err.code === 'ENOTFOUND' ? `check the address of ${o.host} (inventory, or HostName in ~/.ssh/config)`
      : `check that ${o.address} is reachable from here`;
    return Object.assign(new ShipshapeError(`cannot connect to ${where(o)}: ${reason}`, { ...ctx, fix }), { retryable: RETRYABLE.has(err.code) });
  }
  return new ShipshapeError(`cannot connect to ${where(o)}: ${err.message}`, { ...ctx, fix: `try: ssh -v -p ${o.port} ${o.user}@${o.address}` });
}

