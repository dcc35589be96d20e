// `shipshape inventory`: what an inventory holds, as `ansible-inventory` shows it. No host is contacted.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { didYouMean } from '../lib/did-you-mean.js';
import type { Flag } from '../lib/flags.js';
import { Inventory } from '../lib/inventory/inventory.js';
import { inventoryGraph, inventoryList } from '../lib/inventory/listing.js';
import { escapeText } from '../lib/report/escape.js';
import { redact } from '../lib/report/redact.js';
import { HELP, INVENTORY, usageError, type Command } from './command.js';

const FLAGS: Flag[] = [
  INVENTORY,
  { name: 'list', help: "print every group and host as JSON: _meta.hostvars (each host's merged variables), all.children, each group's hosts and children" },
  { name: 'graph', help: 'draw the groups as a tree: @all:, then children groups and hosts, indented' },
  { name: 'host', value: 'NAME', help: "print one host's merged variables as JSON" },
  HELP,
];

/** JSON for the terminal: no secret, no escape sequence from a variable's value. */
const print = (text: string) => console.log(escapeText(redact(text)));

export const INVENTORY_COMMAND: Command = {
  name: 'inventory',
  usage: 'shipshape inventory -i INVENTORY (--list | --graph [GROUP] | --host NAME)',
  summary: "Show an inventory's groups, hosts and variables as ansible-inventory does (nothing is contacted).\n" +
    'Variables are merged as a deploy sees them: group all, parent and child groups, group_vars/, the host\'s own, host_vars/.',
  flags: FLAGS,
  prepare({ values, positionals }) {
    const file = values.inventory;
    if (typeof file !== 'string') throw usageError('shipshape inventory needs an inventory: -i FILE', `${this.usage}  (for example: shipshape inventory -i hosts.ini --graph)`);
    const modes = (['list', 'graph', 'host'] as const).filter((m) => values[m] !== undefined);
    if (modes.length !== 1) throw usageError(modes.length ? `shipshape inventory: give one of --${modes.join(', --')}, not several` : 'shipshape inventory: what to show? Give --list, --graph or --host NAME', this.usage);
    const mode = modes[0]!;
    if (positionals.length > (mode === 'graph' ? 1 : 0)) throw usageError(`shipshape inventory: unexpected argument ${positionals[mode === 'graph' ? 1 : 0]}`, this.usage);
    const path = resolve(file);
    if (!existsSync(path)) throw usageError(`shipshape inventory: inventory ${file} does not exist (looked for ${path})`, 'check the path: it is relative to the current directory');
    const inv = new Inventory().load(path);
    if (mode === 'host') {
      const name = values.host as string;
      if (!inv.hosts.has(name)) throw usageError(`shipshape inventory: ${file} has no host ${JSON.stringify(name)}${didYouMean(name, [...inv.hosts.keys()])}`, 'shipshape inventory -i FILE --list shows its hosts');
      return async () => { print(JSON.stringify(inv.hosts.get(name)!.vars ?? {}, null, 4)); return 0; };
    }
    if (mode === 'graph') {
      const root = positionals[0] ?? 'all';
      if (!inv.tree().has(root)) throw usageError(`shipshape inventory: ${file} has no group ${JSON.stringify(root)}${didYouMean(root, [...inv.tree().keys()])}`, 'shipshape inventory -i FILE --graph draws every group');
      return async () => { print(inventoryGraph(inv, root)); return 0; };
    }
    return async () => { print(JSON.stringify(inventoryList(inv), null, 4)); return 0; };
  },
};
