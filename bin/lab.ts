// `shipshape lab up|down|status|reset [cluster.json]`: the local test hosts on the command line.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { labDown, labReset, labStatus, labUp, readCluster, type LabHost } from '../lib/lab/index.js';
import { closestMatch } from '../lib/did-you-mean.js';
import type { Flag } from '../lib/flags.js';
import { HELP, usageError, type Command } from './command.js';

// What each lab command does to the hosts of CLUSTER.json: in `lab --help` and in its own help.
const SUBCOMMANDS: Record<string, string[]> = {
  up: [
    'bring them up; their SSH keys go into ~/.ssh/known_hosts. Hosts already up',
    'are left as they are; broken ones are repaired (a dead host is booted',
    'again on its own files, a downed link is mended)',
  ],
  down: ['stop and remove them'],
  status: ['each host: name, address, running, forwards (exit 3 when one is not running)'],
  reset: ['wipe hosts back to the clean base and restart them'],
};
const NAMES = Object.keys(SUBCOMMANDS);

function table(hosts: LabHost[]): string {
  const rows = hosts.map((h) => [
    h.name,
    h.address || '-',
    h.running ? 'running' : 'stopped',
    h.forwards.map((f) => `${f.hostIp}:${f.hostPort}->${f.guestPort}`).join(' ') || '-',
  ]);
  const head = ['HOST', 'ADDRESS', 'STATE', 'FORWARDS'];
  const widths = head.map((t, i) => Math.max(t.length, ...rows.map((r) => r[i]!.length)));
  return [head, ...rows].map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
}

const FLAGS: Flag[] = [
  { name: 'lab-dir', value: 'DIR', help: "the lab's cache and state (default $SHIPSHAPE_LAB_DIR or /var/cache/shipshape/lab)" },
  { name: 'host', value: 'NAME', multiple: true, help: 'with up, down or reset: only these hosts (comma-separated, or repeat the flag)' },
  HELP,
];

export const LAB_COMMAND: Command = {
  name: 'lab',
  usage: 'shipshape lab up|down|status|reset [CLUSTER.json] [--lab-dir DIR] [--host NAME]',
  summary: [
    'Local Debian test hosts from cluster.json: up, down, status, reset (as root).',
    '',
    'One host per node of CLUSTER.json (default ./cluster.json):',
    ...Object.entries(SUBCOMMANDS).flatMap(([name, lines]) => lines.map((l, i) => `  ${(i ? '' : name).padEnd(6)}  ${l}`)),
    '',
    'shipshape lab up --help shows the help of one lab command.',
  ].join('\n'),
  flags: FLAGS,
  helpFor([sub]) {
    if (sub === undefined || !Object.hasOwn(SUBCOMMANDS, sub)) return undefined;
    const [first, ...more] = SUBCOMMANDS[sub]!;
    return {
      usage: `shipshape lab ${sub} [CLUSTER.json] [--lab-dir DIR]${sub === 'status' ? '' : ' [--host NAME]'}`,
      summary: [
        'One lab host per node of CLUSTER.json (default ./cluster.json); needs root.', '',
        `${sub}: ${first}`, ...more.map((l) => `${' '.repeat(sub.length + 2)}${l}`),
      ].join('\n'),
      flags: sub === 'status' ? FLAGS.filter((f) => f.name !== 'host') : FLAGS,
    };
  },
  prepare({ values, positionals }) {
    const [sub, file = 'cluster.json', ...extra] = positionals;
    if (!sub) throw usageError('shipshape lab: which lab command? up, down, status or reset', this.usage);
    if (!Object.hasOwn(SUBCOMMANDS, sub)) {
      const near = closestMatch(sub, NAMES);
      throw usageError(`shipshape lab: unknown lab command ${sub}${near ? ` (did you mean ${near}?)` : ''}`, this.usage);
    }
    if (extra.length) throw usageError(`shipshape lab ${sub}: unexpected argument ${extra[0]}`, this.usage);
    const hosts = values.host as string[] | undefined;
    if (hosts && sub === 'status') throw usageError('shipshape lab status: --host is only for lab up, down and reset', this.usage);
    // `down` works from the lab's own state: it must be able to clean up after a deleted file.
    const exists = existsSync(resolve(file));
    if (sub !== 'down' && !exists) throw usageError(`shipshape lab ${sub}: ${file} does not exist (looked for ${resolve(file)})`, 'name the cluster file: shipshape lab up path/to/cluster.json');
    if (exists && sub !== 'status' && (sub !== 'down' || hosts)) {
      const names = readCluster(file).map((n) => n.host_name);
      const unknown = (hosts ?? []).filter((h) => !names.includes(h));
      if (unknown.length) throw usageError(`shipshape lab ${sub}: ${file} has no host ${unknown.join(', ')}`, `hosts are: ${names.join(', ')}`);
    }
    const opts = { labDir: values['lab-dir'] as string | undefined, log: (line: string) => console.error(line), hosts };
    return async () => {
      switch (sub) {
        case 'up': {
          const up = await labUp(file, opts);
          console.log(table(up));
          const ssh = up[0]?.forwards.find((f) => f.guestPort === 22);
          if (ssh) console.log(`\nssh -p ${ssh.hostPort} -i ${up[0]!.privateKey} vagrant@${ssh.hostIp === '0.0.0.0' ? '127.0.0.1' : ssh.hostIp}`);
          return 0;
        }
        case 'down':
          await labDown(file, opts);
          return 0;
        case 'status': {
          const all = await labStatus(file, opts);
          console.log(table(all));
          return all.every((h) => h.running) ? 0 : 3;
        }
        default:
          console.log(table(await labReset(file, opts)));
          return 0;
      }
    };
  },
};
