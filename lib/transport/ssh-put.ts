import { randomBytes } from 'node:crypto';
import type { SFTPWrapper } from 'ssh2';
import { ShipshapeError } from '../errors.js';
import { finishUploadScript, putHeader, putInput, putScript, sftpTempName } from './put-script.js';
import type { PutOptions, Transport } from './types.js';

// SFTP status codes (draft-ietf-secsh-filexfer-02)
const PERMISSION_DENIED = 3;
const CHUNK = 256 * 1024;

/** SFTP cannot do this upload (permission denied, no subsystem): write through the shell instead. */
export class SftpFallback extends Error {}

/**
 * Uploads over SFTP without a half-written file at `path` at any time: the data goes to a
 * new temp file in the same folder (created exclusively, mode 0600), then one command on
 * the host checks its size and sha256 against what was sent, sets owner and mode through
 * an open descriptor and renames it over the target (see `finishUploadScript`).
 * `sessionPid` is the host's sshd session process, named in the temp file so a later upload
 * can tell a dead upload's leftover from a running one.
 *
 * @example
 * await putOverSftp(transport, sftp, '/etc/motd', Buffer.from('hi\n'), { mode: 0o644, owner: 'root' }, 812);
 */
export async function putOverSftp(t: Transport, sftp: SFTPWrapper, path: string, data: Buffer, opts: PutOptions, sessionPid?: number): Promise<void> {
  const tmp = sftpTempName(path, sessionPid, randomBytes(8).toString('hex'));
  const fail = (what: string, e: unknown): never => {
    const err = e as Error & { code?: number };
    if (err.code === PERMISSION_DENIED) throw new SftpFallback(`${what} ${tmp}: permission denied`);
    throw new ShipshapeError(`could not write ${path}: ${what} ${tmp} failed: ${err.message}`, { host: t.host, cause: e });
  };
  const handle = await call<Buffer>((cb) => sftp.open(tmp, 'wx', { mode: 0o600 }, cb)).catch((e) => fail('creating', e));
  let done = false;
  try {
    try {
      // Several writes in flight: a round trip per chunk would make big files slow on real links.
      const writes: Promise<void>[] = [];
      for (let off = 0; off < data.length; off += CHUNK) {
        const len = Math.min(CHUNK, data.length - off);
        writes.push(call<void>((cb) => sftp.write(handle, data, off, len, off, cb)));
      }
      await Promise.all(writes).catch((e) => fail('writing', e));
    } finally {
      await call<void>((cb) => sftp.close(handle, cb)).catch(() => undefined);
    }
    const script = finishUploadScript(tmp, path, opts);
    const r = await t.exec(script, { stdin: putHeader(data) });
    // The script removes the temp file itself whenever it fails.
    done = true;
    if (r.code !== 0) throw new ShipshapeError(`could not write ${path}`, { host: t.host, command: script, exitCode: r.code, stderr: r.stderr });
  } finally {
    if (!done) await call<void>((cb) => sftp.unlink(tmp, cb)).catch(() => undefined);
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
  const r = await t.exec(script, { stdin: putInput(data), become: opts.become });
  if (r.code !== 0) {
    throw new ShipshapeError(`could not write ${path}`, { host: t.host, command: script, exitCode: r.code, stderr: r.stderr });
  }
}

function call<T>(fn: (cb: (err: Error | null | undefined, value: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value))));
}
