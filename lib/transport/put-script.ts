import { createHash } from 'node:crypto';
import { quote } from './quote.js';
import type { PutOptions } from './types.js';

/**
 * Temp files of uploads are `.shipshape-tmp.<pid>.<random>` in the target's folder, where
 * `<pid>` is a process on the host that lives as long as the upload can (the writing shell,
 * or the sshd session of an SFTP upload). A later upload into the same folder removes those
 * whose process is gone: a writer killed outright (kill -9, reboot) leaves nothing for good.
 */
export const TEMP_PREFIX = '.shipshape-tmp.';

/**
 * The first line the writer reads on stdin: the size and sha256 it must receive, `<size>
 * <sha256>\n`. Sent as input, never in the script: a command line shows in `ps` to every
 * user of the host, in debug logs and in errors, and the checksum of a short secret gives
 * it away.
 *
 * @example
 * putHeader(Buffer.from('hi\n'))   // Buffer '3 98ea6e4f...\n'
 */
export function putHeader(data: Buffer): Buffer {
  return Buffer.from(`${data.length} ${createHash('sha256').update(data).digest('hex')}\n`);
}

/**
 * The whole input of {@link putScript}: the header, then the data.
 *
 * @example
 * await t.exec(putScript('/etc/motd', {}), { stdin: putInput(data) })
 */
export function putInput(data: Buffer): Buffer {
  return Buffer.concat([putHeader(data), data]);
}

/**
 * The folder of a target path (where its temp file goes).
 *
 * @example
 * targetDir('/etc/motd')   // '/etc'
 */
export function targetDir(path: string): string {
  return path.replace(/\/[^/]*$/, '') || (path.startsWith('/') ? '/' : '.');
}

/**
 * A shell script that reads a file's content from stdin ({@link putInput}: a header with its
 * size and sha256, then the data) and puts it at `path` atomically and without following
 * links it did not make:
 * - the temp file is created exclusively (`set -C`, so an existing name or a planted symlink
 *   fails) under a random name made on the host (never on a command line), mode 0600;
 * - the content, the sha256 check, chown and chmod all go through the open descriptor
 *   (`/proc/self/fd/3`), so a temp file swapped for a symlink changes nothing elsewhere;
 * - size and sha256 must be what the header says: input cut short (a dead controller or a
 *   closed channel is just end of input to `cat`) is refused, and the old file stays;
 * - the temp file must still be the one written, then it is renamed over the target;
 * - on any failure, signal or end of input the trap removes the temp file.
 * Used by every upload through a command (local, ssh under become or without SFTP).
 *
 * @example
 * await t.exec(putScript('/etc/motd', { mode: 0o644, owner: 'root' }), { stdin: putInput(data), become: true })
 */
export function putScript(path: string, opts: PutOptions): string {
  const dir = targetDir(path);
  return [
    ...prologue(path),
    ...readHeader(),
    `n=$(mktemp -u ${quote(`${dir}/${TEMP_PREFIX}`)}"$$".XXXXXXXXXX) || exit 1`,
    'exec 3>"$n" || exit 1',
    'tmp=$n',
    `[ -f /proc/self/fd/3 ] || { echo "shipshape: $tmp is not a new regular file (or /proc is not mounted)" >&2; exit 1; }`,
    'cat >&3 || exit 1',
    ...finish(opts),
    ...sweep(dir),
  ].join('\n');
}

/**
 * {@link putScript} for a script that travels on stdin itself (several uploads in one `sh -s`,
 * see lib/engine/apply-group.ts): the size and sha256 are in the script and the content is a
 * base64 here-document, ended by `delimiter` (letters, digits and `_`: never a base64 line).
 * Nothing of it is on a command line. The same checks, exclusive temp file, chown, chmod and
 * rename; meant to run in a subshell, as it ends with `exit`.
 *
 * @example
 * putHeredocScript('/etc/motd', Buffer.from('hi\n'), { mode: 0o644 }, 'SHIPSHAPE_EOF_ab12')
 */
export function putHeredocScript(path: string, data: Buffer, opts: PutOptions, delimiter: string): string {
  if (!/^[A-Za-z0-9_]*_[A-Za-z0-9_]*$/.test(delimiter)) throw new Error(`here-document delimiter ${JSON.stringify(delimiter)} must hold a _ and only letters, digits and _`);
  const dir = targetDir(path);
  const b64 = data.toString('base64').replace(/.{1,76}/g, '$&\n');
  return [
    ...prologue(path),
    `size=${data.length}`,
    `sum=${createHash('sha256').update(data).digest('hex')}`,
    `n=$(mktemp -u ${quote(`${dir}/${TEMP_PREFIX}`)}"$$".XXXXXXXXXX) || exit 1`,
    'exec 3>"$n" || exit 1',
    'tmp=$n',
    `[ -f /proc/self/fd/3 ] || { echo "shipshape: $tmp is not a new regular file (or /proc is not mounted)" >&2; exit 1; }`,
    `base64 -d >&3 <<'${delimiter}' || exit 1`,
    `${b64}${delimiter}`,
    ...finish(opts),
    ...sweep(dir),
  ].join('\n');
}

/**
 * The end of an upload whose data is already in `tmp` (written over SFTP): the same checks,
 * chown, chmod and rename as {@link putScript}, through a descriptor of the temp file that
 * must be a regular file owned by this user, not a link, and still at `tmp`. Its stdin is
 * the data's {@link putHeader}.
 *
 * @example
 * await t.exec(finishUploadScript('/etc/.shipshape-tmp.812.ab12', '/etc/motd', { mode: 0o644 }), { stdin: putHeader(data) })
 */
export function finishUploadScript(tmp: string, path: string, opts: PutOptions): string {
  return [
    ...prologue(path),
    ...readHeader(),
    `exec 3<${quote(tmp)} || exit 1`,
    `tmp=${quote(tmp)}`,
    'if [ -h "$tmp" ] || [ ! -f /proc/self/fd/3 ] || [ ! -O /proc/self/fd/3 ] || [ ! "$tmp" -ef /proc/self/fd/3 ]; then',
    '  echo "shipshape: $tmp is not the file that was uploaded (replaced, or /proc is not mounted); $t left as it was" >&2; tmp=; exit 1',
    'fi',
    ...finish(opts),
    ...sweep(targetDir(path)),
  ].join('\n');
}

/**
 * The name of an SFTP upload's temp file; `pid` is the host's sshd session process (it ends
 * with the connection), or undefined when not known (then no later upload removes it).
 *
 * @example
 * sftpTempName('/etc/motd', 812, 'ab12cd')   // '/etc/.shipshape-tmp.812.ab12cd'
 */
export function sftpTempName(path: string, pid: number | undefined, random: string): string {
  const dir = targetDir(path);
  return `${dir === '/' ? '' : dir}/${TEMP_PREFIX}${pid ?? 'sftp'}.${random}`;
}

function prologue(path: string): string[] {
  return [
    'umask 077',
    'set -C',
    `t=${quote(path)}`,
    'tmp=',
    `trap '[ -z "$tmp" ] || rm -f -- "$tmp"' EXIT`,
    // An untrapped signal skips the EXIT trap in dash: turn each into an exit. PIPE too: a
    // dead controller's closed stderr would otherwise kill the shell on its error message.
    "trap 'exit 129' HUP",
    "trap 'exit 130' INT",
    "trap 'exit 141' PIPE",
    "trap 'exit 143' TERM",
  ];
}

/** Reads the header line: `read` takes one byte at a time from a pipe, leaving the data to `cat`. */
function readHeader(): string[] {
  return [
    'IFS=\' \' read -r size sum || { echo "shipshape: no upload header on stdin" >&2; exit 1; }',
    "case $size in ''|*[!0-9]*) size= ;; esac",
    "case $sum in *[!0-9a-f]*) sum= ;; esac",
    `[ -n "$size" ] && [ \${#sum} -eq 64 ] || { echo 'shipshape: bad upload header on stdin' >&2; exit 1; }`,
  ];
}

function finish(opts: PutOptions): string[] {
  const who = opts.owner || opts.group ? `${opts.owner ?? ''}${opts.group ? ':' + opts.group : ''}` : undefined;
  return [
    // openssl uses the CPU's SHA instructions (about 4x sha256sum): worth its start-up past 1 MiB.
    'if [ "$size" -gt 1048576 ] && command -v openssl >/dev/null 2>&1; then h=$(openssl dgst -sha256 -r < /proc/self/fd/3); else h=$(sha256sum < /proc/self/fd/3); fi || exit 1',
    // The checksums stay out of the message: that of a short secret would give it away.
    'if [ "${h%% *}" != "$sum" ]; then',
    '  echo "shipshape: received $(wc -c < /proc/self/fd/3) of $size bytes, not what was sent (size or sha256 differ): the upload was cut short or corrupted; $t left as it was" >&2',
    '  exit 1',
    'fi',
    // chown first: it clears setuid/setgid bits, which chmod then sets.
    ...(who ? [`chown ${quote(who)} /proc/self/fd/3 || exit 1`] : []),
    `chmod ${(opts.mode ?? 0o644).toString(8).padStart(4, '0')} /proc/self/fd/3 || exit 1`,
    'if [ -h "$tmp" ] || [ ! "$tmp" -ef /proc/self/fd/3 ]; then echo "shipshape: $tmp was replaced while it was written; $t left as it was" >&2; tmp=; exit 1; fi',
    'if [ -d "$t" ]; then echo "shipshape: $t is a directory" >&2; exit 1; fi',
    'mv -f -- "$tmp" "$t" || exit 1',
    'tmp=',
  ];
}

/**
 * Removes temp files of earlier uploads into `dir` whose process is gone (or a zombie): only
 * regular files of this user, never through a link. Shell builtins only, unless there is
 * something to remove.
 */
function sweep(dir: string): string[] {
  return [
    `for f in ${quote(dir === '/' ? '' : dir)}/${TEMP_PREFIX}*; do`,
    `  p=\${f##*/${TEMP_PREFIX}}; p=\${p%%.*}`,
    "  case $p in ''|*[!0-9]*) continue ;; esac",
    `  s=; read -r s 2>/dev/null < "/proc/$p/stat"; s=\${s##*') '}`,
    "  case $s in ''|Z*) [ -f \"$f\" ] && [ ! -h \"$f\" ] && [ -O \"$f\" ] && rm -f -- \"$f\" ;; esac",
    'done',
    'exit 0',
  ];
}
