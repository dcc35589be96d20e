/**
 * The value of an INI inventory variable as Ansible reads it: Python's `ast.literal_eval`
 * when the text is a Python literal (`2222` a number, `True` a boolean, `'x'` a string,
 * `[1, 2]` a list, `{'a': 1}` an object, `80, 443` a list), else the text as it is
 * (`10.0.0.5`, `true`, `yes`, `010` stay strings, as in Ansible).
 *
 * @example
 * iniValue('2222')     // 2222
 * iniValue('True')     // true
 * iniValue('yes')      // 'yes'
 * iniValue("'01'")     // '01'
 */
export function iniValue(text: string): unknown {
  try {
    return new LiteralReader(text).readAll();
  } catch (e) {
    if (e instanceof NotALiteral) return text;
    throw e;
  }
}

class NotALiteral extends Error {}

const NUMBER = /^(?:0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|(?:(?:[1-9](?:_?\d)*|0+(?:_?0)*)(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d(?:_?\d)*)?)(?![\w.])/;
const STRING_START = /^([rRuUbB]{0,2})('''|"""|'|")/;
const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', v: '\v', '0': '\0', '\n': '' };

/** A recursive-descent reader of the Python literals literal_eval accepts (no complex numbers, no sets kept as sets). */
class LiteralReader {
  private at = 0;
  constructor(private readonly text: string) {}

  readAll(): unknown {
    const first = this.value();
    this.space();
    // `80, 443` is a tuple in Python.
    if (this.peek() !== ',') return this.end(first);
    const items = [first];
    while (this.eat(',')) {
      this.space();
      if (this.at >= this.text.length) break;
      items.push(this.value());
    }
    return this.end(items);
  }

  private end<T>(v: T): T {
    this.space();
    if (this.at < this.text.length) throw new NotALiteral();
    return v;
  }

  private peek(): string { return this.text[this.at] ?? ''; }

  private eat(c: string): boolean {
    this.space();
    if (this.text.startsWith(c, this.at)) { this.at += c.length; return true; }
    return false;
  }

  /** White space and a `# comment` to the end (Python drops both). */
  private space(): void {
    for (;;) {
      while (/\s/.test(this.peek())) this.at++;
      if (this.peek() !== '#') return;
      while (this.at < this.text.length && this.text[this.at] !== '\n') this.at++;
    }
  }

  private value(): unknown {
    this.space();
    const rest = this.text.slice(this.at);
    const c = rest[0];
    if (c === '+' || c === '-') {
      this.at++;
      const v = this.value();
      if (typeof v !== 'number') throw new NotALiteral();
      return c === '-' ? -v : v;
    }
    if (c === '[') return this.items(']');
    if (c === '(') return this.items(')');
    if (c === '{') return this.braces();
    const word = /^(True|False|None)(?!\w)/.exec(rest);
    if (word) { this.at += word[1]!.length; return word[1] === 'True' ? true : word[1] === 'False' ? false : null; }
    const s = STRING_START.exec(rest);
    if (s) return this.strings();
    const n = NUMBER.exec(rest);
    if (n) {
      this.at += n[0].length;
      const digits = n[0].replace(/_/g, '');
      if (/^0[xob]/i.test(digits)) return Number(digits.toLowerCase());
      return Number(digits);
    }
    throw new NotALiteral();
  }

  /** Adjacent strings are one in Python: `'a' 'b'` is `'ab'`. */
  private strings(): string {
    let out = '';
    for (;;) {
      this.space();
      const s = STRING_START.exec(this.text.slice(this.at));
      if (!s) return out;
      out += this.string(s[1]!.toLowerCase(), s[2]!);
    }
  }

  private string(prefix: string, quote: string): string {
    this.at += prefix.length + quote.length;
    const raw = prefix.includes('r');
    let out = '';
    for (;;) {
      if (this.at >= this.text.length) throw new NotALiteral();
      if (this.text.startsWith(quote, this.at)) { this.at += quote.length; return out; }
      const ch = this.text[this.at]!;
      if (ch === '\n' && quote.length === 1) throw new NotALiteral();
      if (ch === '\\' && this.at + 1 < this.text.length) {
        const next = this.text[this.at + 1]!;
        if (raw) { out += ch + next; this.at += 2; continue; }
        const hex = /^x([0-9a-fA-F]{2})|^u([0-9a-fA-F]{4})/.exec(this.text.slice(this.at + 1));
        if (hex) { out += String.fromCharCode(parseInt(hex[1] ?? hex[2]!, 16)); this.at += 1 + hex[0].length; continue; }
        out += ESCAPES[next] ?? `\\${next}`;
        this.at += 2;
        continue;
      }
      out += ch;
      this.at++;
    }
  }

  private items(close: string): unknown[] {
    this.at++;
    const out: unknown[] = [];
    for (;;) {
      if (this.eat(close)) return out;
      out.push(this.value());
      if (this.eat(close)) return out;
      if (!this.eat(',')) throw new NotALiteral();
    }
  }

  /** A dict, or a set (read as a list). */
  private braces(): unknown {
    this.at++;
    if (this.eat('}')) return {};
    const first = this.value();
    if (!this.eat(':')) {
      const items = [first];
      while (this.eat(',')) { if (this.eat('}')) return items; items.push(this.value()); }
      if (!this.eat('}')) throw new NotALiteral();
      return items;
    }
    const out: Record<string, unknown> = {};
    let key: unknown = first;
    for (;;) {
      const v = this.value();
      if (typeof key !== 'string' && typeof key !== 'number' && typeof key !== 'boolean' && key !== null) throw new NotALiteral();
      // defineProperty: a key named __proto__ is a key like any other.
      Object.defineProperty(out, String(key), { value: v, enumerable: true, writable: true, configurable: true });
      if (this.eat('}')) return out;
      if (!this.eat(',')) throw new NotALiteral();
      if (this.eat('}')) return out;
      key = this.value();
      if (!this.eat(':')) throw new NotALiteral();
    }
  }
}
