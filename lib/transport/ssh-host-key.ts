import createDebug from 'debug';
import { ShipshapeError } from '../errors.js';
import { addKnownHost, blobType, checkHostKey, fingerprint, knownKeyTypes, readKnownHosts, type KnownHostEntry } from './known-hosts.js';
import { where, type ResolvedSshOptions } from './ssh-options.js';

const log = createDebug('shipshape:ssh');
// ssh2's own default order, without ssh-dss; ssh-rsa (SHA-1) only for hosts allowed it.
const HOST_KEY_ALGOS = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256'];

/**
 * The host key algorithms to offer: when keys are on file for the host, only their types
 * (so a server with several keys shows the recorded one, and one without it cannot pass
 * another off as new); else every type. `ssh-rsa` (SHA-1) only when allowed.
 *
 * @example
 * hostKeyAlgorithms(options, readKnownHosts(options.knownHostsFiles))   // ['ssh-ed25519']
 */
export function hostKeyAlgorithms(o: ResolvedSshOptions, known: readonly KnownHostEntry[]): string[] {
  const all = o.allowSshRsa ? [...HOST_KEY_ALGOS, 'ssh-rsa'] : HOST_KEY_ALGOS;
  const types = knownKeyTypes(known, o.address, o.port);
  if (types.length === 0) return all;
  const wanted = types.flatMap((t) => (t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [t]));
  const usable = all.filter((a) => wanted.includes(a));
  if (usable.length === 0) {
    const entry = known.find((e) => !e.marker && types.includes(e.keyType))!;
    throw new ShipshapeError(`cannot check the host key of ${where(o)}: only ${types.join(', ')} keys are recorded for it (${entry.file} line ${entry.line}), and those are not accepted`, {
      host: o.host, unreachable: true,
      fix: types.includes('ssh-rsa')
        ? 'the host has only an RSA key and signs with SHA-1 (ssh-rsa): give it a modern key (ssh-keygen -A on the host), or allow ssh-rsa for it (allowSshRsa: true, or HostKeyAlgorithms +ssh-rsa in ~/.ssh/config)'
        : `record one of the host's ed25519, ecdsa or rsa keys (ssh-keyscan -p ${o.port} ${o.address})`,
    });
  }
  return usable;
}

/**
 * A failed key exchange explained: no offered key type in common, while keys are on file, is
 * a changed host key.
 *
 * @example
 * client.on('error', (e) => reject(handshakeError(options, e, known) ?? e));
 */
export function handshakeError(o: ResolvedSshOptions, err: Error & { level?: string }, known: readonly KnownHostEntry[]): ShipshapeError | undefined {
  if (!/no matching host key format/i.test(err.message)) return undefined;
  const types = knownKeyTypes(known, o.address, o.port);
  const ctx = { host: o.host, unreachable: true, cause: err };
  if (types.length === 0) {
    return new ShipshapeError(`cannot connect to ${where(o)}: the host offers no host key type accepted here`, {
      ...ctx, fix: 'a host with only an RSA key signing with SHA-1 (ssh-rsa) needs allowSshRsa: true (or HostKeyAlgorithms +ssh-rsa in ~/.ssh/config)',
    });
  }
  const entry = known.find((e) => !e.marker && types.includes(e.keyType))!;
  if (types.includes('ssh-rsa') && !o.allowSshRsa) {
    return new ShipshapeError(`cannot connect to ${where(o)}: its recorded key is RSA (${entry.file} line ${entry.line}) and the host signs its RSA host key only with SHA-1 (ssh-rsa), which is refused here`, {
      ...ctx, fix: 'give the host a modern key or OpenSSH (7.2+ signs with rsa-sha2-256), or allow SHA-1 for it: allowSshRsa: true (or HostKeyAlgorithms +ssh-rsa in ~/.ssh/config)',
    });
  }
  const name = o.port === 22 ? o.address : `'[${o.address}]:${o.port}'`;
  return new ShipshapeError(
    `HOST KEY CHANGED for ${where(o)}: it offers no ${types.join(' or ')} key, the type recorded at ${entry.file} line ${entry.line}. ` +
      'Someone could be eavesdropping on you right now (possible man-in-the-middle attack), or the host was reinstalled. Refusing to connect.',
    { ...ctx, fix: `if you know why the key changed, remove the old line ${entry.line} of ${entry.file} (ssh-keygen -R ${name} -f ${entry.file}) and connect again` },
  );
}

/**
 * Checks a presented host key against known_hosts: an error refuses it; `record` means it is
 * new, to be recorded (with acceptNewHostKeys) once the connection is up.
 *
 * @example
 * hostVerifier: (key) => !verifyHostKey(options, key).error
 */
export function verifyHostKey(o: ResolvedSshOptions, key: Buffer): { error?: ShipshapeError; record?: boolean } {
  const file = o.knownHostsFiles[0]!;
  const st = checkHostKey(readKnownHosts([...o.knownHostsFiles, ...o.globalKnownHostsFiles]), o.address, o.port, key);
  const type = blobType(key).replace(/^ssh-/, '').toUpperCase();
  const fp = fingerprint(key);
  const ctx = { host: o.host, unreachable: true };
  const name = o.port === 22 ? o.address : `'[${o.address}]:${o.port}'`;
  switch (st.status) {
    case 'known':
      return {};
    case 'unknown':
      if (o.acceptNewHostKeys) return { record: true };
      return { error: new ShipshapeError(`host key of ${where(o)} is not known: the host offers ${type} key ${fp}`, {
        ...ctx, fix: `if that is the host's key, run again with --accept-new-host-keys (acceptNewHostKeys: true) to record it in ${file}, or add it yourself: ssh-keyscan -p ${o.port} ${o.address} >> ${file}`,
      }) };
    case 'changed': {
      const what = st.otherType
        ? `it now offers ${type} key ${fp}, a type not recorded for it (${st.entry.file} line ${st.entry.line} has ${st.entry.keyType})`
        : `it now offers ${type} key ${fp}, not the key recorded at ${st.entry.file} line ${st.entry.line}`;
      return { error: new ShipshapeError(
        `HOST KEY CHANGED for ${where(o)}: ${what}. ` +
          'Someone could be eavesdropping on you right now (possible man-in-the-middle attack), or the host was reinstalled. Refusing to connect.',
        { ...ctx, fix: `if you know why the key changed, remove the old line ${st.entry.line} of ${st.entry.file} (ssh-keygen -R ${name} -f ${st.entry.file}) and connect again` },
      ) };
    }
    case 'revoked':
      return { error: new ShipshapeError(`host key of ${where(o)} is REVOKED (${st.entry.file} line ${st.entry.line}): ${type} key ${fp}. Refusing to connect.`, {
        ...ctx, fix: 'the host must get a new host key; ask its administrator',
      }) };
  }
}

/**
 * Records a new host key once the connection is up (key exchange and login done). Checked
 * again first: another connection may have recorded a key for the host meanwhile.
 *
 * @example
 * client.once('ready', () => { const err = recordHostKey(options, key); ... })
 */
export function recordHostKey(o: ResolvedSshOptions, key: Buffer): ShipshapeError | undefined {
  const v = verifyHostKey(o, key);
  if (!v.record) return v.error;
  const file = o.knownHostsFiles[0]!;
  addKnownHost(file, o.address, o.port, key);
  log('recorded new host key of %s in %s: %s %s', where(o), file, blobType(key), fingerprint(key));
  return undefined;
}
