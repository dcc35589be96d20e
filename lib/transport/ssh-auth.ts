import { readFileSync, statSync } from 'node:fs';
import ssh2 from 'ssh2';
import type { AnyAuthMethod, BaseAgent as Agent, IdentityCallback, ParsedKey, SignCallback, SigningRequestOptions } from 'ssh2';
import { ShipshapeError } from '../errors.js';
import { where, type ResolvedSshOptions } from './ssh-options.js';

const { BaseAgent, createAgent, utils } = ssh2;

/** In the error ssh2 emits when a signature is refused here: the connect error names the reason. */
export const SHA1_REFUSED = 'refusing an ssh-rsa (SHA-1) signature';
const SHA2 = ['sha256', 'sha512'];

/**
 * The login methods for a host: its agent, then its key files (each checked: not readable by
 * others, decryptable); RSA keys sign with SHA-2 only unless the host allows ssh-rsa.
 *
 * @example
 * const { methods } = authMethods(resolveSshOptions({ host: 'web-01', privateKey: '~/.ssh/id_ed25519' }));
 */
export function authMethods(o: ResolvedSshOptions): { methods: AnyAuthMethod[]; described: string } {
  const methods: AnyAuthMethod[] = [];
  const said: string[] = [];
  if (o.agent) {
    methods.push({ type: 'agent', username: o.user, agent: o.allowSshRsa ? o.agent : new Sha2OnlyAgent(o.agent) });
    said.push(`the keys of ssh-agent (${o.agent})`);
  }
  for (const file of o.keyFiles) {
    let text: Buffer;
    try {
      checkKeyFileMode(o, file);
      text = readFileSync(file);
    } catch (e) {
      if (e instanceof ShipshapeError) throw e;
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
    const key = Array.isArray(parsed) ? parsed[0] : parsed;
    methods.push({ type: 'publickey', username: o.user, key: o.allowSshRsa ? key : sha2Only(key) });
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

/** Refuses a private key file others can read, as OpenSSH does (only for a file of ours, as it does). */
function checkKeyFileMode(o: ResolvedSshOptions, file: string): void {
  const st = statSync(file);
  if (st.uid !== process.getuid?.() || (st.mode & 0o077) === 0) return;
  const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
  throw new ShipshapeError(`UNPROTECTED PRIVATE KEY FILE: ${file} (mode ${mode}) can be read by others; refusing to use it to log in to ${where(o)}`, {
    host: o.host, unreachable: true, fix: `chmod 600 ${file}`,
  });
}

/** An RSA key that signs with SHA-2 only: ssh2 falls back to SHA-1 when the server offers nothing better. */
function sha2Only(key: ParsedKey): ParsedKey {
  if (key.type !== 'ssh-rsa') return key;
  // ssh2 recognizes parsed keys by a property found through the prototype.
  const k = Object.create(key) as ParsedKey;
  // ssh2 takes an Error returned by sign() as a refused signature (its types say Buffer only).
  k.sign = ((data: Buffer, algo?: string) => (algo && SHA2.includes(algo) ? key.sign(data, algo) : new Error(SHA1_REFUSED))) as ParsedKey['sign'];
  return k;
}

/** An ssh-agent that refuses to make SHA-1 RSA signatures (see {@link sha2Only}). */
class Sha2OnlyAgent extends BaseAgent {
  private readonly inner: Agent;

  constructor(socket: string) {
    super();
    this.inner = createAgent(socket);
  }

  getIdentities(cb: IdentityCallback): void {
    this.inner.getIdentities(cb);
  }

  sign(pubKey: string | Buffer | ParsedKey, data: Buffer, options: SigningRequestOptions | SignCallback, cb?: SignCallback): void {
    const done = (typeof options === 'function' ? options : cb)!;
    const opts = typeof options === 'function' ? {} : options;
    const rsa = typeof pubKey === 'object' && !Buffer.isBuffer(pubKey) && pubKey.type === 'ssh-rsa';
    if (rsa && !SHA2.includes(opts.hash ?? '')) return done(new Error(SHA1_REFUSED));
    this.inner.sign(pubKey, data, opts, done);
  }
}
