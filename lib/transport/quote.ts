/**
 * The one function that quotes a value for a POSIX shell. Every value that reaches a
 * remote or local shell goes through it; nothing is interpolated raw.
 *
 * @example
 * `rm -f ${quote(path)}`           // rm -f '/tmp/it'\''s'
 */
export function quote(value: string | number): string {
  const s = String(value);
  if (s.includes('\0')) throw new TypeError(`cannot quote a value containing a NUL byte: ${JSON.stringify(s)}`);
  if (s !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * Joins an argv array into one shell command, each word quoted.
 *
 * @example
 * argv(['supervisorctl', 'restart', 'app'])   // supervisorctl restart app
 */
export function argv(words: readonly (string | number)[]): string {
  return words.map(quote).join(' ');
}
