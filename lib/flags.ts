/**
 * Command-line flags from a table: what a command accepts, parsed strictly (an unknown flag,
 * a missing value or a value given to a switch is an error naming the closest valid flag),
 * and the same table rendered as help.
 */
import { parseArgs } from 'node:util';
import { closestMatch } from './did-you-mean.js';
import { ShipshapeError } from './errors.js';

export interface Flag {
  /** Long name without dashes: `limit` for `--limit`. */
  name: string;
  /** One letter: `l` for `-l`. */
  short?: string;
  /** Placeholder of the value (`NAMES`) when the flag takes one; without it the flag is a switch. */
  value?: string;
  /** May be given more than once; the values are collected (comma lists are split). */
  multiple?: boolean;
  /** A switch counted each time it is given (`-v -v`, `-vv`, `--verbose --verbose`): its value is the number. */
  count?: boolean;
  help: string;
}

export interface ParsedFlags {
  /** By long name: `true` for a given switch, the string for a value, a list for `multiple`, a number for `count`. */
  values: Record<string, string | string[] | true | number | undefined>;
  /** Arguments that are not flags, including everything after `--`. */
  positionals: string[];
  /** Where each positional is in argv. */
  positionalIndex: number[];
}

/** The explanation a flag error ends with: where to read what is accepted. */
export interface FlagContext {
  /** `shipshape exec`: names the command in messages. */
  command: string;
  /** The usage line shown as the fix. */
  usage: string;
  /** The fix for an unknown flag that comes after an argument (it may belong to that argument). */
  afterPositional?: string;
}

/**
 * Parses `argv` against `flags`. Throws a ShipshapeError (the caller exits 4) for an unknown
 * flag (with the closest valid one), a flag that needs a value and has none (`--limit` last,
 * `--limit ''`, `--limit --become`), and a value given to a switch (`--become=yes`).
 *
 * @example
 * parseFlags(['-i', 'cluster.json', '--', 'uptime'], EXEC_FLAGS, { command: 'shipshape exec', usage })
 * // { values: { inventory: 'cluster.json' }, positionals: ['uptime'], positionalIndex: [3] }
 */
export function parseFlags(argv: readonly string[], flags: readonly Flag[], ctx: FlagContext): ParsedFlags {
  const options = Object.fromEntries(flags.map((f) => [f.name, { type: f.value ? 'string' as const : 'boolean' as const, ...(f.short ? { short: f.short } : {}) }]));
  // strict: false keeps unknown flags as tokens, so the message can quote what was typed.
  const { tokens } = parseArgs({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true });
  const values: ParsedFlags['values'] = {};
  const positionals: string[] = [];
  const positionalIndex: number[] = [];
  for (const t of tokens) {
    if (t.kind === 'positional') { positionals.push(t.value); positionalIndex.push(t.index); continue; }
    if (t.kind === 'option-terminator') continue;
    const flag = flags.find((f) => f.name === t.name);
    if (!flag) throw unknownFlag(t.rawName, flags, positionals.length && ctx.afterPositional ? { ...ctx, usage: ctx.afterPositional } : ctx);
    if (!flag.value) {
      if (t.inlineValue) throw new ShipshapeError(`${ctx.command}: ${t.rawName} takes no value (got ${JSON.stringify(t.value)})`, { fix: ctx.usage });
      values[flag.name] = flag.count ? ((values[flag.name] as number | undefined) ?? 0) + 1 : true;
      continue;
    }
    const v = t.value;
    // parseArgs takes the next word as the value even when it is another flag: `--limit --become`.
    if (v === undefined || v.trim() === '' || (!t.inlineValue && /^--?[A-Za-z]/.test(v))) {
      const got = v === undefined ? 'nothing follows it' : v.trim() === '' ? 'it is empty' : `${v} is a flag`;
      throw new ShipshapeError(`${ctx.command}: ${t.rawName} needs a value (${flag.value}), but ${got}`, { fix: ctx.usage });
    }
    if (flag.multiple) {
      const list = v.split(',').map((s) => s.trim()).filter(Boolean);
      if (!list.length) throw new ShipshapeError(`${ctx.command}: ${t.rawName} ${JSON.stringify(v)} names nothing`, { fix: ctx.usage });
      values[flag.name] = [...((values[flag.name] as string[] | undefined) ?? []), ...list];
    } else {
      values[flag.name] = v;
    }
  }
  return { values, positionals, positionalIndex };
}

function unknownFlag(raw: string, flags: readonly Flag[], ctx: FlagContext): ShipshapeError {
  const bare = raw.replace(/^--?/, '');
  // Compare without dashes; long names only: a one-letter typo has no plausible "closest".
  const near = closestMatch(bare.replace(/^no-/, ''), flags.map((f) => f.name));
  const hint = near ? ` (did you mean --${near}?)` : '';
  return new ShipshapeError(`${ctx.command}: unknown option ${raw}${hint}`, { fix: `${ctx.usage}  (${ctx.command} --help lists the options)` });
}

/**
 * The flags as the options part of a help text: `-l, --limit NAMES  help`, aligned.
 *
 * @example
 * flagHelp([{ name: 'limit', short: 'l', value: 'NAMES', help: 'hosts or groups' }])
 * // '  -l, --limit NAMES  hosts or groups'
 */
export function flagHelp(flags: readonly Flag[]): string {
  const heads = flags.map((f) => `${f.short ? `-${f.short}, ` : '    '}--${f.name}${f.value ? ` ${f.value}` : ''}`);
  const width = Math.max(...heads.map((h) => h.length));
  return flags.map((f, i) => `  ${heads[i]!.padEnd(width)}  ${f.help.split('\n').join(`\n  ${' '.repeat(width)}  `)}`).join('\n');
}

/** Flags shared by deploy files and the command line. */
export const HELP: Flag = { name: 'help', short: 'h', help: 'show this help' };
export const LIMIT: Flag = { name: 'limit', short: 'l', value: 'NAMES', multiple: true, help: "only these hosts: names of hosts or groups, globs (web-*), !exclude, &intersect, @file (comma-separated, or repeat the flag)" };
export const FORKS: Flag = { name: 'forks', short: 'f', value: 'N', help: 'hosts at a time (default 50)' };
export const ACCEPT: Flag = { name: 'accept-new-host-keys', help: "record the key of a host not yet in ~/.ssh/known_hosts (a changed key is still refused)" };

/** What `tsx deploy.ts` (deploy()) accepts on its command line; `shipshape run` checks the same table. */
export const DEPLOY_FLAGS: readonly Flag[] = [
  { name: 'check', short: 'C', help: 'probe and diff only: report what would change, change nothing' },
  { name: 'diff', short: 'D', help: 'show unified diffs of file content' },
  { name: 'tags', short: 't', value: 'TAGS', multiple: true, help: 'only tasks with one of these tags (always: also those tagged always; all, tagged, untagged)' },
  { name: 'skip-tags', value: 'TAGS', multiple: true, help: 'leave out tasks with one of these tags (and handlers, when named)' },
  LIMIT, FORKS,
  { name: 'serial', value: 'N', help: 'roll out in batches: N hosts, N% of them, or a list (1,5,25%) whose last size repeats;\na batch starts when the previous one finished' },
  { name: 'max-fail-percent', value: 'P', help: 'with --serial: stop the remaining batches once more than P% of a batch failed\n(default: only when every host of a batch failed)' },
  { name: 'json', value: 'FILE', help: "write every task's result and timing to FILE as JSON" },
  { name: 'force-handlers', help: 'run notified handlers even on a host where a later task failed' },
  ACCEPT,
  { name: 'verbose', short: 'v', count: true, help: 'show the commands sent to hosts (-vv: also probe output and timings)' },
  { name: 'quiet', short: 'q', help: 'show only errors and the recap' },
];
