#!/usr/bin/env node
// The shipshape command line. `shipshape lab up|down|status|reset [cluster.json]` drives the
// local test hosts; run/exec/facts are dispatched from the switch below.
import mri from 'mri';
import { ShipshapeError } from '../lib/errors.js';
import { labDown, labReset, labStatus, labUp, type LabHost } from '../lib/lab/index.js';
import { execOnHosts, factsOfHosts, type AdHocOptions } from '../lib/engine/ad-hoc.js';
import { Inventory } from '../lib/inventory/inventory.js';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';

const USAGE = `usage: shipshape <command> [options]

commands:
  run deploy.ts [--check] [--diff] [--limit …] [--forks N] [--json FILE]
                                         run a deploy file with tsx (the same as: npx tsx deploy.ts …)
  exec -i INVENTORY [--limit …] [--become] -- COMMAND…
                                         run a shell command on hosts and print its output
  facts -i INVENTORY [--limit …]         print the facts 'when' callbacks see, as JSON
  lab up [cluster.json]                  bring up a host per node of cluster.json (as root)
  lab down [cluster.json]                stop and remove them
  lab status [cluster.json]              show each host: name, address, running, forwards
                                         (exit 3 when a host is not running)
  lab reset [cluster.json] [--host NAME] wipe hosts back to the clean base and restart them

options:
  -i, --inventory FILE  cluster.json, Ansible inventory JSON or an inventory script
  --limit NAMES   host or group names, comma-separated
  --become        run the command as root (sudo -n)
  --accept-new-host-keys  record unknown host keys in ~/.ssh/known_hosts
  --lab-dir DIR   the lab's cache and state (default $SHIPSHAPE_LAB_DIR or /var/cache/shipshape/lab)
  --host NAME     with "lab reset": only this host (repeat or comma-separate for more)
  -h, --help      this text
`;

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

async function lab(args: string[], flags: Record<string, unknown>): Promise<number> {
  const [sub, file = 'cluster.json', ...extra] = args;
  if (extra.length) throw new ShipshapeError(`lab ${sub}: unexpected argument ${extra[0]}`, { fix: USAGE });
  const opts = {
    labDir: typeof flags['lab-dir'] === 'string' ? flags['lab-dir'] : undefined,
    log: (line: string) => console.error(line),
  };
  switch (sub) {
    case 'up': {
      const hosts = await labUp(file, opts);
      console.log(table(hosts));
      const ssh = hosts[0]?.forwards.find((f) => f.guestPort === 22);
      if (ssh) console.log(`\nssh -p ${ssh.hostPort} -i ${hosts[0]!.privateKey} vagrant@${ssh.hostIp === '0.0.0.0' ? '127.0.0.1' : ssh.hostIp}`);
      return 0;
    }
    case 'down':
      await labDown(file, opts);
      return 0;
    case 'status': {
      const hosts = await labStatus(file, opts);
      console.log(table(hosts));
      return hosts.every((h) => h.running) ? 0 : 3;
    }
    case 'reset': {
      const raw = flags.host;
      const names = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).flatMap((n) => String(n).split(',')).filter(Boolean);
      console.log(table(await labReset(file, { ...opts, hosts: names })));
      return 0;
    }
    default:
      throw new ShipshapeError(sub ? `unknown lab command: ${sub}` : 'lab needs a command: up, down, status or reset', { fix: 'shipshape lab up|down|status|reset [cluster.json]  (shipshape --help for more)' });
  }
}

/** `shipshape run deploy.ts …`: the deploy file under tsx, every later argument passed on. */
function run(args: string[]): Promise<number> {
  const [file, ...rest] = args;
  if (!file) throw new ShipshapeError('run needs a deploy file', { fix: 'shipshape run deploy.ts [--check] [--diff]' });
  let tsx: string;
  try {
    tsx = createRequire(`${process.cwd()}/`).resolve('tsx/cli');
  } catch {
    tsx = createRequire(import.meta.url).resolve('tsx/cli');
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [tsx, file, ...rest], { stdio: 'inherit' });
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? 1));
  });
}

function adHocOptions(flags: Record<string, unknown>): { inv: Inventory; o: AdHocOptions } {
  const file = flags.inventory;
  if (typeof file !== 'string') throw new ShipshapeError('this command needs an inventory', { fix: '-i cluster.json (or an inventory script)' });
  const limit = typeof flags.limit === 'string' ? flags.limit.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
  return { inv: new Inventory().load(file), o: { limit, become: flags.become === true ? true : undefined, acceptNewHostKeys: flags['accept-new-host-keys'] === true } };
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'run') return run(argv.slice(1));
  const flags = mri(argv, { string: ['lab-dir', 'host', 'inventory', 'limit'], boolean: ['help', 'become', 'accept-new-host-keys'], alias: { h: 'help', i: 'inventory' } });
  const [command, ...rest] = flags._;
  if (flags.help || !command) {
    console.log(USAGE);
    return command || flags.help ? 0 : 4;
  }
  switch (command) {
    case 'lab':
      return lab(rest, flags);
    case 'exec': {
      const words = rest.map(String);
      if (!words.length) throw new ShipshapeError('exec needs a command', { fix: 'shipshape exec -i cluster.json -- uptime' });
      const { inv, o } = adHocOptions(flags);
      const results = await execOnHosts(inv, words.join(' '), o);
      let code = 0;
      for (const r of results) {
        if (!r.ok) { console.log(`${r.host} | UNREACHABLE | ${r.error.message}`); code = 3; continue; }
        console.log(`${r.host} | rc=${r.value.code} >>`);
        process.stdout.write(r.value.stdout + r.value.stderr);
        if (r.value.code !== 0 && code === 0) code = 2;
      }
      return code;
    }
    case 'facts': {
      const { inv, o } = adHocOptions(flags);
      const results = await factsOfHosts(inv, o);
      console.log(JSON.stringify(Object.fromEntries(results.map((r) => [r.host, r.ok ? r.value : { unreachable: r.error.message }])), null, 2));
      return results.every((r) => r.ok) ? 0 : 3;
    }
    default:
      throw new ShipshapeError(`unknown command: ${command}`, { fix: USAGE });
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (e) {
  console.error(e instanceof ShipshapeError ? e.explain() : e instanceof Error ? e.stack ?? e.message : String(e));
  process.exitCode = 1;
}
