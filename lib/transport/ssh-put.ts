import { randomBytes } from 'node:crypto';
import type { SFTPWrapper } from 'ssh2';
import { ShipshapeError } from '../errors.js';
import { putScript } from './put-script.js';
import { quote } from './quote.js';
import type { PutOptions, Transport } from './types.js';

// SFTP status codes (draft-ietf-secsh-filexfer-02)
const PERMISSION_DENIED = 3;
const CHUNK = 256 * 1024;

/** SFTP cannot do this upload (permission denied, no subsystem): write through the shell instead. */
export class SftpFallback extends Error {}

/**
 * Uploads over SFTP without a half-written file at `path` at any time: the data goes to a
 * temp file in the same folder, gets its mode (and owner, with `chown` over exec), then is
 * renamed over the target (posix-rename@openssh.com, else `mv -f`).
 *
 * @example
 * await putOverSftp(transport, sftp, '/etc/motd', Buffer.from('hi\n'), { mode: 0o644, owner: 'root' });
 */
export async function putOverSftp(t: Transport, sftp: SFTPWrapper, path: string, data: Buffer, opts: PutOptions): Promise<void> {
  const dir = path.replace(/\/[^/]*$/, '') || '/';
  const base = path.slice(dir.length).replace(/^\//, '');
  const tmp = `${dir === '/' ? '' : dir}/.${base}.shipshape.${randomBytes(4).toString('hex')}`;
  const fail = (what: string, e: unknown): never => {
    const err = e as Error & { code?: number };
    if (err.code === PERMISSION_DENIED) throw new SftpFallback(`${what} ${tmp}: permission denied`);
    throw new ShipshapeError(`could not write ${path}: ${what} ${tmp} failed: ${err.message}`, { host: t.host, cause: e });
  };
  const handle = await call<Buffer>((cb) => sftp.open(tmp, 'wx', { mode: 0o600 }, cb)).catch((e) => fail('creating', e));
  let renamed = false;
  try {
    try {
      // Several writes in flight: a round trip per chunk would make big files slow on real links.
      const writes: Promise<void>[] = [];
      for (let off = 0; off < data.length; off += CHUNK) {
        const len = Math.min(CHUNK, data.length - off);
        writes.push(call<void>((cb) => sftp.write(handle, data, off, len, off, cb)));
      }
      await Promise.all(writes).catch((e) => fail('writing', e));
      await call<void>((cb) => sftp.fchmod(handle, opts.mode ?? 0o644, cb)).catch((e) => fail('setting the mode of', e));
    } finally {
      await call<void>((cb) => sftp.close(handle, cb)).catch(() => undefined);
    }
    if (opts.owner || opts.group) {
      // SFTP only takes numeric ids: chown by name, and rename in the same round trip.
      const who = `${opts.owner ?? ''}${opts.group ? ':' + opts.group : ''}`;
      const cmd = `chown ${quote(who)} ${quote(tmp)} && mv -f ${quote(tmp)} ${quote(path)}`;
      const r = await t.exec(cmd);
      if (r.code !== 0) throw new ShipshapeError(`could not write ${path}: setting its owner failed`, { host: t.host, command: cmd, exitCode: r.code, stderr: r.stderr });
    } else if (hasPosixRename(sftp)) {
      await call<void>((cb) => sftp.ext_openssh_rename(tmp, path, cb)).catch((e) => fail('renaming', e));
    } else {
      const cmd = `mv -f ${quote(tmp)} ${quote(path)}`;
      const r = await t.exec(cmd);
      if (r.code !== 0) throw new ShipshapeError(`could not write ${path}: renaming the temp file failed`, { host: t.host, command: cmd, exitCode: r.code, stderr: r.stderr });
    }
    renamed = true;
  } finally {
    if (!renamed) await call<void>((cb) => sftp.unlink(tmp, cb)).catch(() => undefined);
  }
}

/**
 * Uploads through `putScript` over exec with the data on stdin: the way under become.
 *
 * @example
 * await putOverShell(transport, '/etc/app.conf', data, { become: true, mode: 0o640 });
 */
export async function putOverShell(t: Transport, path: string, data: Buffer, opts: PutOptions): Promise<void> {
  const script = putScript(path, opts);
  const r = await t.exec(script, { stdin: data, become: opts.become });
  if (r.code !== 0) {
    throw new ShipshapeError(`could not write ${path}`, { host: t.host, command: script, exitCode: r.code, stderr: r.stderr });
  }
}

function hasPosixRename(sftp: SFTPWrapper): boolean {
  const ext = (sftp as unknown as { _extensions?: Record<string, string> })._extensions;
  return ext?.['posix-rename@openssh.com'] !== undefined;
}

function call<T>(fn: (cb: (err: Error | null | undefined, value: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value))));
}
