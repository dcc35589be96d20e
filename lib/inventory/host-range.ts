/**
 * Ansible's host patterns in inventories: `web[01:10].example.com` (leading zeros kept),
 * `db-[a:f]`, strides `[1:10:2]`, several ranges in one name, and a `:port` suffix
 * (`web-01:2222`). A bad range is a message, never a thrown stack.
 *
 * @example
 * expandHostPattern('web[01:03]')   // { names: ['web01', 'web02', 'web03'] }
 * expandHostPattern('db-[a:c]:2222')   // { names: ['db-a', 'db-b', 'db-c'], port: 2222 }
 */
export function expandHostPattern(pattern: string): { names: string[]; port?: number } | { error: string } {
  let name = pattern;
  let port: number | undefined;
  // One colon outside the brackets, digits after it: a port. More colons: an IPv6 address.
  const outside = pattern.replace(/\[[^\]]*\]/g, '');
  const m = /^(.*):(\d+)$/.exec(pattern);
  if (m && (outside.match(/:/g) ?? []).length === 1) {
    name = m[1]!;
    port = Number(m[2]);
  } else if (pattern.endsWith(':') && (outside.match(/:/g) ?? []).length === 1) {
    return { error: `host ${JSON.stringify(pattern)} ends in ":" but gives no port (write web-01:2222, or ansible_port=2222)` };
  }
  const names = expand(name);
  if (typeof names === 'string') return { error: `host ${JSON.stringify(pattern)}: ${names}` };
  return port === undefined ? { names } : { names, port };
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** The names of a pattern, or why its first range is bad. */
function expand(name: string): string[] | string {
  const open = name.indexOf('[');
  if (open < 0) return [name];
  const close = name.indexOf(']', open);
  if (close < 0) return 'a range opened with [ is not closed with ]';
  const head = name.slice(0, open);
  const tail = name.slice(close + 1);
  const bounds = name.slice(open + 1, close).split(':');
  if (bounds.length !== 2 && bounds.length !== 3) return 'a range is [begin:end] or [begin:end:step], like [01:10] or [a:f]';
  const [beg = '', end = '', stepText = '1'] = bounds;
  const step = Number(stepText);
  if (!/^\d+$/.test(stepText) || step < 1) return `the step of [${bounds.join(':')}] must be a whole number of 1 or more`;
  if (end === '') return `the range [${bounds.join(':')}] has no end`;
  let seq: string[];
  if (/^[A-Za-z]$/.test(beg) && /^[A-Za-z]$/.test(end)) {
    const from = LETTERS.indexOf(beg);
    const to = LETTERS.indexOf(end);
    if (from > to) return `the range [${bounds.join(':')}] begins after its end`;
    seq = [];
    for (let i = from; i <= to; i += step) seq.push(LETTERS[i]!);
  } else {
    const b = beg === '' ? '0' : beg;
    if (!/^\d+$/.test(b) || !/^\d+$/.test(end)) return `the range [${bounds.join(':')}] must be numbers ([01:10]) or single letters ([a:f])`;
    // A leading zero sets the width of every number, as in Ansible: [01:10] gives 01 … 10.
    const width = b.length > 1 && b.startsWith('0') ? b.length : 0;
    if (width && width !== end.length) return `the range [${bounds.join(':')}] must give begin and end with the same number of digits`;
    const from = Number(b);
    const to = Number(end);
    if (from > to) return `the range [${bounds.join(':')}] begins after its end`;
    if ((to - from) / step > 100_000) return `the range [${bounds.join(':')}] gives more than 100000 hosts`;
    seq = [];
    for (let i = from; i <= to; i += step) seq.push(String(i).padStart(width, '0'));
  }
  const out: string[] = [];
  for (const s of seq) {
    const rest = expand(`${head}${s}${tail}`);
    if (typeof rest === 'string') return rest;
    out.push(...rest);
  }
  return out;
}
