/** "did you mean …?" for a mistyped name: op options, recipe params, CLI flags, host names. */
import { distance } from 'fastest-levenshtein';

/**
 * The candidate closest to `word`, or undefined when none is close enough to be a plausible
 * typo. Case is ignored; at most about one edit per three letters of `word` is allowed
 * (`prot` → `port`, `contents` → `content`), and never a rewrite of the whole word, so
 * nothing absurdly far away is suggested.
 *
 * @example
 * closestMatch('contents', ['path', 'content', 'mode'])   // 'content'
 * closestMatch('xyz', ['path', 'content', 'mode'])        // undefined
 */
export function closestMatch(word: string, candidates: Iterable<string>): string | undefined {
  const w = String(word).toLowerCase();
  const limit = Math.max(1, Math.ceil(w.length / 3));
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = distance(w, c.toLowerCase());
    if (d <= limit && d < Math.min(w.length, c.length) && d < bestD) { best = c; bestD = d; }
  }
  return best;
}

/**
 * ` (did you mean content?)` when a candidate is close to `word`, else `''`: ready to append
 * to a message.
 *
 * @example
 * `unknown option contents${didYouMean('contents', ['content', 'mode'])}`   // 'unknown option contents (did you mean content?)'
 */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const m = closestMatch(word, candidates);
  return m === undefined ? '' : ` (did you mean ${m}?)`;
}
