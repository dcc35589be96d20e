// Ansible as a user who tuned it runs it, timed as a whole `ansible-playbook` process: through
// the same forwarded SSH ports as shipshape, as vagrant with the lab's key, host keys checked,
// pipelining on, ControlPersist, forks = number of hosts; optionally with Mitogen's strategy.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LabHost } from '../lib/lab/index.js';
import { ensureTools } from '../lib/lab/preflight.js';
import { timed, type Timed } from './measure.js';
import { sshForward } from './web.js';

const SEED_DIR = fileURLToPath(new URL('../spec/e2e/seed-playbook/', import.meta.url));
const FIXES_DIR = fileURLToPath(new URL('./ansible/web/', import.meta.url));
const IDEMPOTENT_DIR = fileURLToPath(new URL('./ansible/web-idempotent/', import.meta.url));
/** Where Debian's ansible-mitogen package puts the strategy plugins. */
export const MITOGEN_STRATEGIES = '/usr/lib/python3/dist-packages/ansible_mitogen/plugins/strategy';

/**
 * `idempotent`: bench/ansible/web-idempotent, the seed's role with handlers and state checks
 * (the primary comparison). `seed`: the seed's playbook as written, with bench/ansible/web's
 * three fixes that Debian 12 needs.
 */
export type Playbook = 'idempotent' | 'seed';
/** `ssh`: Ansible's linear strategy over OpenSSH. `mitogen`: `strategy = mitogen_linear`. */
export type Strategy = 'ssh' | 'mitogen';

export interface AnsibleResult extends Timed {
  /** Sum of `changed=` over the PLAY RECAP lines. */
  changed: number;
  /** Names of the tasks that reported a change on some host. */
  changedTasks: string[];
}

/** Installs ansible-core and Debian's ansible-mitogen when missing (the bench runs as root). */
export function ensureAnsible(): void {
  ensureTools({ 'ansible-playbook': 'ansible-core' }, 'the bench');
  if (existsSync(join(MITOGEN_STRATEGIES, 'mitogen_linear.py'))) return;
  const policy = spawnSync('apt-cache', ['policy', 'ansible-mitogen'], { encoding: 'utf8' }).stdout ?? '';
  if (!/Candidate: (?!\(none\))/.test(policy)) throw new Error('the bench compares with Ansible + Mitogen: apt has no ansible-mitogen package here (Debian 12 ships one)');
  console.error('installing ansible-mitogen (apt-get)');
  execFileSync('apt-get', ['install', '-y', '-q', 'ansible-mitogen'], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (!existsSync(join(MITOGEN_STRATEGIES, 'mitogen_linear.py'))) throw new Error(`ansible-mitogen is installed but ${MITOGEN_STRATEGIES}/mitogen_linear.py is missing`);
}

/**
 * Private copies of both playbooks (so a scenario can edit their files) plus scratch dirs.
 *
 * @example
 * const a = new AnsibleRunner(tmp); await a.run(hosts, 'idempotent', 'mitogen');
 */
export class AnsibleRunner {
  readonly dir: string;
  private n = 0;

  constructor(tmp: string) {
    this.dir = mkdtempSync(join(tmp, 'ansible-'));
    for (const p of ['seed', 'idempotent'] as const) cpSync(SEED_DIR, this.playbookDir(p), { recursive: true });
    cpSync(FIXES_DIR, join(this.playbookDir('seed'), 'web'), { recursive: true });
    const role = join(this.playbookDir('idempotent'), 'web');
    rmSync(join(role, 'tasks'), { recursive: true });
    cpSync(IDEMPOTENT_DIR, role, { recursive: true });
  }

  /** `ansible-playbook --version`'s core version and the Mitogen package's, e.g. `2.14.18, mitogen 0.3.3`. */
  version(): string {
    const core = /core ([\d.]+)/.exec(spawnSync('ansible-playbook', ['--version'], { encoding: 'utf8' }).stdout ?? '')?.[1] ?? 'unknown';
    const mitogen = (spawnSync('dpkg-query', ['-W', '-f', '${Version}', 'ansible-mitogen'], { encoding: 'utf8' }).stdout ?? '').trim() || 'unknown';
    return `ansible-core ${core}, ansible-mitogen ${mitogen}`;
  }

  private playbookDir(p: Playbook): string {
    return join(this.dir, p);
  }

  /** The app file a playbook copies (for the one-file-change scenario). */
  appFile(p: Playbook): string {
    return join(this.playbookDir(p), 'web/files/code/app.py');
  }

  /** Runs a playbook on `hosts` and times the whole `ansible-playbook` process. */
  async run(hosts: LabHost[], playbook: Playbook, strategy: Strategy): Promise<AnsibleResult> {
    const n = ++this.n;
    const inventory = join(this.dir, `inventory-${n}.ini`);
    writeFileSync(inventory, '[webservers]\n' + hosts.map((h) => {
      const f = sshForward(h);
      return `${h.name} ansible_host=${f.ip} ansible_port=${f.port} ansible_user=${h.user} ansible_ssh_private_key_file=${h.privateKey}\n`;
    }).join(''));
    // A fresh ControlPath dir per run: no run reuses an SSH master left by the run before.
    const cp = join(this.dir, `cp${n}`);
    mkdirSync(cp);
    const config = join(this.dir, `ansible-${n}.cfg`);
    writeFileSync(config, [
      '[defaults]',
      `inventory = ${inventory}`,
      `forks = ${hosts.length}`,
      'host_key_checking = True',
      // named, so no run spends a round trip on interpreter discovery
      'interpreter_python = /usr/bin/python3',
      'retry_files_enabled = False',
      'nocolor = True',
      'deprecation_warnings = False',
      `local_tmp = ${join(this.dir, 'tmp')}`,
      ...(strategy === 'mitogen' ? [`strategy_plugins = ${MITOGEN_STRATEGIES}`, 'strategy = mitogen_linear'] : []),
      '[ssh_connection]',
      'pipelining = True',
      'ssh_args = -C -o ControlMaster=auto -o ControlPersist=60s',
      `control_path_dir = ${cp}`,
      '',
    ].join('\n'));
    const t = await timed('ansible-playbook', ['playbook.yaml'], { cwd: this.playbookDir(playbook), env: { ANSIBLE_CONFIG: config } });
    closeMasters(cp);
    const changed = [...t.out.matchAll(/^\S+\s+:\s+ok=\d+\s+changed=(\d+)/gm)].reduce((s, m) => s + Number(m[1]), 0);
    const changedTasks = new Set<string>();
    let task = '';
    for (const line of t.out.split('\n')) {
      const m = /^(?:TASK|RUNNING HANDLER) \[(.*)\]/.exec(line);
      if (m) task = m[1]!;
      else if (line.startsWith('changed: [')) changedTasks.add(task);
    }
    return { ...t, changed, changedTasks: [...changedTasks] };
  }
}

/** Ends the SSH masters a run left behind (ControlPersist), untimed, so they do not pile up. */
function closeMasters(cp: string): void {
  for (const sock of readdirSync(cp)) {
    spawnSync('ssh', ['-o', `ControlPath=${join(cp, sock)}`, '-O', 'exit', 'bench'], { stdio: 'ignore', timeout: 5000 });
  }
}
