#!/usr/bin/env node
// The shipshape command line: run a deploy file, ad-hoc exec and facts, and the lab.
// Exit codes: 0 ok, 2 a command or task failed, 3 a host was unreachable (or, for
// `lab status`, not running), 4 bad usage (nothing was contacted), 1 anything else.
import { closestMatch } from '../lib/did-you-mean.js';
import { ShipshapeError, toShipshapeError } from '../lib/errors.js';
import { flagHelp, parseFlags, type Flag } from '../lib/flags.js';
import { escapeText } from '../lib/report/escape.js';
import { redact } from '../lib/report/redact.js';
import { EXEC_COMMAND, FACTS_COMMAND } from './ad-hoc.js';
import { HELP, usageError, type Command } from './command.js';
import { INIT_COMMAND } from './init.js';
import { INVENTORY_COMMAND } from './inventory.js';
import { LAB_COMMAND } from './lab.js';
import { packageInfo } from './package-info.js';
import { RUN_COMMAND } from './run.js';

const COMMANDS: Command[] = [INIT_COMMAND, RUN_COMMAND, EXEC_COMMAND, FACTS_COMMAND, INVENTORY_COMMAND, LAB_COMMAND];
const VERSION: Flag = { name: 'version', short: 'V', help: 'print the version of shipshape' };
const TOP_FLAGS: Flag[] = [VERSION, HELP];
const TOP_USAGE = 'shipshape <command> [options]';

function topHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    `usage: ${TOP_USAGE}`,
    '',
    'Put servers into a desired state over SSH. A deploy is a TypeScript file: npx tsx deploy.ts',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary.split('\n')[0]}`),
    '',
    'options:',
    flagHelp(TOP_FLAGS),
    '',
    'shipshape <command> --help shows the options of a command.',
    'exit codes: 0 ok, 2 something failed, 3 a host was unreachable, 4 bad usage (nothing was contacted)',
  ].join('\n');
}

function commandHelp(c: Pick<Command, 'usage' | 'summary' | 'flags'>): string {
  return [`usage: ${c.usage}`, '', c.summary, '', 'options:', flagHelp([...c.flags, VERSION])].join('\n');
}

const version = () => packageInfo().version;

/** Parses and validates; returns the action, or the exit code when there is nothing to run. */
function prepare(argv: string[]): number | (() => Promise<number>) {
  const at = argv.findIndex((a) => !a.startsWith('-') || a === '--');
  const name = at < 0 || argv[at] === '--' ? undefined : argv[at];
  const top = parseFlags(at < 0 ? argv : argv.slice(0, at), TOP_FLAGS, { command: 'shipshape', usage: TOP_USAGE });
  if (top.values.version) { console.log(version()); return 0; }
  const command = name === undefined ? undefined : COMMANDS.find((c) => c.name === name);
  if (name !== undefined && !command) {
    const near = closestMatch(name, COMMANDS.map((c) => c.name));
    throw usageError(`unknown command ${name}${near ? ` (did you mean ${near}?)` : ''}`, `commands: ${COMMANDS.map((c) => c.name).join(', ')}  (shipshape --help)`);
  }
  if (!command) {
    if (top.values.help) { console.log(topHelp()); return 0; }
    console.error(topHelp());
    return 4;
  }
  const rest = argv.slice(at + 1);
  // --version works after a command too, as with npm: `shipshape lab --version`.
  const args = parseFlags(rest, [...command.flags, VERSION], { command: `shipshape ${command.name}`, usage: command.usage, afterPositional: command.afterPositional });
  if (top.values.help || args.values.help) { console.log(commandHelp(command.helpFor?.(args.positionals) ?? command)); return 0; }
  if (args.values.version) { console.log(version()); return 0; }
  return command.prepare(args, rest);
}

async function main(argv: string[]): Promise<number> {
  let action: number | (() => Promise<number>);
  try {
    action = prepare(argv);
  } catch (e) {
    report(e);
    return e instanceof ShipshapeError ? 4 : 1;
  }
  if (typeof action === 'number') return action;
  try {
    return await action();
  } catch (e) {
    report(e);
    return 1;
  }
}

/** Every error through ShipshapeError.explain(); the stack only under DEBUG=shipshape*. */
function report(e: unknown): void {
  console.error(toShipshapeError(e).explain());
  if (/shipshape/.test(process.env.DEBUG ?? '') && e instanceof Error) console.error(escapeText(redact(e.stack ?? '')));
}

process.exitCode = await main(process.argv.slice(2));
