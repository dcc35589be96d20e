// `shipshape exec` and `shipshape facts`: one command, or the facts, on hosts of an inventory.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { execOnHosts, factsOfHosts, selectHosts, type AdHocOptions, type AdHocResult } from '../lib/engine/ad-hoc.js';
import type { Flag, ParsedFlags } from '../lib/flags.js';
import { Inventory } from '../lib/inventory/inventory.js';
import { escapeText } from '../lib/report/escape.js';
import { redact } from '../lib/report/redact.js';
import { ACCEPT, FORKS, HELP, INVENTORY, LIMIT, usageError, type Command } from './command.js';

const AD_HOC_FLAGS: Flag[] = [INVENTORY, LIMIT, FORKS, ACCEPT];

/** The inventory and options of exec and facts, checked before any connection. */
function adHoc(command: string, usage: string, values: ParsedFlags['values']): { inv: Inventory; o: AdHocOptions } {
  const file = values.inventory;
  if (typeof file !== 'string') throw usageError(`${command} needs an inventory: which hosts?`, `${usage}  (for the lab: -i cluster.json)`);
  const path = resolve(file);
  if (!existsSync(path)) throw usageError(`${command}: inventory ${file} does not exist (looked for ${path})`, 'check the path: it is relative to the current directory');
  const inv = new Inventory().load(path);
  const limit = values.limit as string[] | undefined;
  selectHosts(inv, limit);
  let forks: number | undefined;
  if (values.forks !== undefined) {
    forks = Number(values.forks);
    if (!Number.isInteger(forks) || forks < 1) throw usageError(`${command}: --forks ${values.forks} is not a positive whole number`, usage);
  }
  return { inv, o: { limit, forks, become: values.become === true ? true : undefined, acceptNewHostKeys: values['accept-new-host-keys'] === true } };
}

/** The explanation of an unreachable host, indented under its line. */
function unreachable(r: AdHocResult<unknown> & { ok: false }): string {
  return `${r.host} | UNREACHABLE | ${r.error.explain().split('\n').join('\n  ')}`;
}

export const EXEC_COMMAND: Command = {
  name: 'exec',
  usage: 'shipshape exec -i INVENTORY [--limit NAMES] [--become] [--forks N] [--accept-new-host-keys] -- COMMAND…',
  summary: "Run one shell command on the selected hosts and print each host's exit code and output.\nExit 2 when it failed on a host, 3 when a host was unreachable.",
  flags: [...AD_HOC_FLAGS, { name: 'become', short: 'b', help: 'run the command as root (sudo -n)' }, HELP],
  afterPositional: 'if it belongs to the command, put the command after --: shipshape exec -i cluster.json -- uptime -p',
  prepare({ values, positionals }) {
    if (!positionals.length) throw usageError('shipshape exec: which command? Put it after --', 'shipshape exec -i cluster.json -- uptime');
    const { inv, o } = adHoc('shipshape exec', this.usage, values);
    return async () => {
      const results = await execOnHosts(inv, positionals.join(' '), o);
      for (const r of results) {
        if (!r.ok) { console.log(unreachable(r)); continue; }
        console.log(`${r.host} | rc=${r.value.code} >>`);
        // The host's output cannot drive this terminal (ESC/OSC sequences shown as escapes) nor show a secret.
        process.stdout.write(escapeText(redact(r.value.stdout + r.value.stderr)));
      }
      return results.some((r) => r.ok && r.value.code !== 0) ? 2 : results.some((r) => !r.ok) ? 3 : 0;
    };
  },
};

export const FACTS_COMMAND: Command = {
  name: 'facts',
  usage: 'shipshape facts -i INVENTORY [--limit NAMES] [--forks N] [--accept-new-host-keys]',
  summary: "Print the facts `when` callbacks see, per host, as JSON (exit 3 when a host was unreachable).",
  flags: [...AD_HOC_FLAGS, HELP],
  prepare({ values, positionals }) {
    if (positionals.length) throw usageError(`shipshape facts: unexpected argument ${positionals[0]}`, this.usage);
    const { inv, o } = adHoc('shipshape facts', this.usage, values);
    return async () => {
      const results = await factsOfHosts(inv, o);
      for (const r of results) if (!r.ok) console.error(unreachable(r));
      console.log(JSON.stringify(Object.fromEntries(results.map((r) => [r.host, r.ok ? r.value : { unreachable: r.error.message }])), null, 2));
      return results.every((r) => r.ok) ? 0 : 3;
    };
  },
};
