import { readFileSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import createDebug from 'debug';
import ssh2 from 'ssh2';
import type { AnyAuthMethod, ConnectConfig } from 'ssh2';
import { ShipshapeError } from '../errors.js';
import { addKnownHost, blobType, checkHostKey, fingerprint, knownKeyTypes, readKnownHosts } from './known-hosts.js';
import type { ResolvedSshOptions } from './ssh-options.js';

const { Client, utils } = ssh2;
type SshClient = InstanceType<typeof Client>;
const log = createDebug('shipshape:ssh');

/** A logged-in connection and the jump connections it runs through (closed with it). */
export interface SshConnection {
  client: SshClient;
  jumps: SshClient[];
}

// ssh2's own default order; a host's known key types are moved to the front.
const HOST_KEY_ALGOS = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
const RETRYABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EAI_AGAIN', 'EPIPE']);

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
  const auth = authMethods(o);
  const known = readKnownHosts([...o.knownHostsFiles, ...o.globalKnownHostsFiles]);
  const preferred = knownKeyTypes(known, o.address, o.port).flatMap((t) => (t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [t]));
  const algos = [...new Set([...preferred.filter((a) => HOST_KEY_ALGOS.includes(a)), ...HOST_KEY_ALGOS])];
  let hostKeyError: ShipshapeError | undefined;
  const client = new Client();
  const config: ConnectConfig = {
    host: o.address,
    port: o.port,
    username: o.user,
    sock: sock as ConnectConfig['sock'],
    readyTimeout: o.connectTimeoutMs,
    keepaliveInterval: o.keepaliveIntervalMs,
    keepaliveCountMax: 3,
    authHandler: auth.methods,
    algorithms: { serverHostKey: algos as NonNullable<ConnectConfig['algorithms']>['serverHostKey'] },
    hostVerifier: (key: Buffer) => {
      hostKeyError = verifyHostKey(o, key);
      return hostKeyError === undefined;
    },
  };
  log('connect %s as %s (keys: %s; agent: %s)', where(o), o.user, o.keyFiles.join(', ') || 'none', o.agent ?? 'none');
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
      settled = true;
      log('connected %s', where(o));
      resolve(client);
    });
    client.on('error', (err: Error & { level?: string; code?: string }) => {
      if (settled) return;
      fail(hostKeyError ?? connectError(o, err, auth.described));
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

function authMethods(o: ResolvedSshOptions): { methods: AnyAuthMethod[]; described: string } {
  const methods: AnyAuthMethod[] = [];
  const said: string[] = [];
  if (o.agent) {
    methods.push({ type: 'agent', username: o.user, agent: o.agent });
    said.push(`the keys of ssh-agent (${o.agent})`);
  }
  for (const file of o.keyFiles) {
    let text: Buffer;
    try {
      text = readFileSync(file);
    } catch (e) {
      throw new ShipshapeError(`cannot read the SSH key ${file} to log in to ${where(o)}: ${(e as Error).message}`, {
        host: o.host, unreachable: true, cause: e, fix: 'check privateKey (or IdentityFile in ~/.ssh/config)',
      });
    }
    const parsed = utils.parseKey(text, o.passphrase);
    if (parsed instanceof Error) {
      const encrypted = /passphrase|encrypted/i.test(parsed.message);
      throw new ShipshapeError(`cannot use the SSH key ${file} to log in to ${where(o)}: ${parsed.message}`, {
        host: o.host, unreachable: true, cause: parsed,
        fix: encrypted ? 'give its passphrase (passphrase option), or add it to ssh-agent with ssh-add' : 'privateKey must be an OpenSSH or PEM private key file',
      });
    }
    methods.push({ type: 'publickey', username: o.user, key: text, passphrase: o.passphrase });
    said.push(`key ${file}`);
  }
  if (methods.length === 0) {
    throw new ShipshapeError(`no SSH key to log in to ${where(o)} with`, {
      host: o.host, unreachable: true,
      fix: 'set privateKey for the host, start ssh-agent (SSH_AUTH_SOCK) and ssh-add a key, or add IdentityFile to ~/.ssh/config',
    });
  }
  return { methods, described: said.join(' and ') };
}

function connectError(o: ResolvedSshOptions, err: Error & { level?: string; code?: string }, auth: string): ShipshapeError & { retryable?: boolean } {
  const ctx = { host: o.host, unreachable: true, cause: err };
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

/** Checks a presented host key against known_hosts; `undefined` means accepted. */
function verifyHostKey(o: ResolvedSshOptions, key: Buffer): ShipshapeError | undefined {
  const file = o.knownHostsFiles[0]!;
  const st = checkHostKey(readKnownHosts([...o.knownHostsFiles, ...o.globalKnownHostsFiles]), o.address, o.port, key);
  const type = blobType(key).replace(/^ssh-/, '').toUpperCase();
  const fp = fingerprint(key);
  const ctx = { host: o.host, unreachable: true };
  const name = o.port === 22 ? o.address : `'[${o.address}]:${o.port}'`;
  switch (st.status) {
    case 'known':
      return undefined;
    case 'unknown':
      if (o.acceptNewHostKeys) {
        addKnownHost(file, o.address, o.port, key);
        log('recorded new host key of %s in %s: %s %s', where(o), file, type, fp);
        return undefined;
      }
      return new ShipshapeError(`host key of ${where(o)} is not known: the host offers ${type} key ${fp}`, {
        ...ctx, fix: `if that is the host's key, run again with --accept-new-host-keys (acceptNewHostKeys: true) to record it in ${file}, or add it yourself: ssh-keyscan -p ${o.port} ${o.address} >> ${file}`,
      });
    case 'changed':
      return new ShipshapeError(
        `HOST KEY CHANGED for ${where(o)}: it now offers ${type} key ${fp}, not the key recorded at ${st.entry.file} line ${st.entry.line}. ` +
          'Someone could be eavesdropping on you right now (possible man-in-the-middle attack), or the host was reinstalled. Refusing to connect.',
        { ...ctx, fix: `if you know why the key changed, remove the old line ${st.entry.line} of ${st.entry.file} (ssh-keygen -R ${name} -f ${st.entry.file}) and connect again` },
      );
    case 'revoked':
      return new ShipshapeError(`host key of ${where(o)} is REVOKED (${st.entry.file} line ${st.entry.line}): ${type} key ${fp}. Refusing to connect.`, {
        ...ctx, fix: 'the host must get a new host key; ask its administrator',
      });
  }
}
