/** Text that reaches a terminal: control characters shown, never obeyed. */

// C0 controls, DEL, C1 controls (0x9b is a one-byte CSI), line and paragraph separators, and
// the bidirectional overrides and isolates that make text read differently than it is.
const CONTROL = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const CONTROL_BUT_LINES = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const HAS_CONTROL = new RegExp(CONTROL.source);

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function visible(ch: string): string {
  const named = NAMED[ch];
  if (named) return named;
  const code = ch.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * One line of text as it may be shown: every control character (newline and tab too) as a
 * visible escape such as `\n` or `\x1b`. For names: a host, handler or task name.
 *
 * @example
 * escapeLine('web\nRECAP')   // 'web\\nRECAP'
 */
export function escapeLine(text: string): string {
  return text.replace(CONTROL, visible);
}

/**
 * Text of several lines as it may be shown (remote stderr, an error's explanation, a diff):
 * newlines and tabs are kept, a CRLF becomes a newline, every other control character (ESC,
 * a lone CR, BEL, ...) becomes a visible escape, so it cannot move the cursor, recolour or
 * rewrite the terminal, or set its clipboard (OSC 52).
 *
 * @example
 * escapeText('ok\n\x1b]52;c;ZXZpbA==\x07')   // 'ok\n\\x1b]52;c;ZXZpbA==\\x07'
 */
export function escapeText(text: string): string {
  return text.replace(/\r\n/g, '\n').replace(CONTROL_BUT_LINES, visible);
}

/**
 * Why a name cannot be used (it spans lines or holds control characters), or undefined.
 *
 * @example
 * nameProblem('host name', 'web\n01')   // 'host name "web\\n01" must be one line without control characters'
 */
export function nameProblem(what: string, name: string): string | undefined {
  return HAS_CONTROL.test(name) ? `${what} "${escapeLine(name)}" must be one line without control characters` : undefined;
}
