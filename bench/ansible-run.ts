// Runs the seed's playbook (with bench/ansible's fixed task files) on lab hosts with ansible-playbook, as a user would:
// through the same forwarded SSH ports, as vagrant with the lab's key, host keys checked.
import { execFile, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LabHost } from '../lib/lab/index.js';
import { ensureTools } from '../lib/lab/preflight.js';
import { sshForward } from './web.js';

// The seed's playbook (kept verbatim for the e2e test), with bench/ansible's three fixed task
// files laid over it: see bench/README.md.
const SEED_DIR = fileURLToPath(new URL('../spec/e2e/seed-playbook/', import.meta.url));
const FIXES_DIR = fileURLToPath(new URL('./ansible/', import.meta.url));

export interface AnsibleResult {
  seconds: number;
  code: number;
  /** Sum of `changed=` over the PLAY RECAP lines. */
  changed: number;
  /** Names of the tasks that reported a change on some host. */
  changedTasks: string[];
  out: string;
}

/**
 * How Ansible is configured. `tuned`: pipelining on, `-f` = number of hosts, the interpreter
 * named (no discovery round trip). `defaults`: what a bare `ansible-playbook` does.
 */
export type AnsibleMode = 'tuned' | 'defaults';

/** Installs ansible-core from Debian when `ansible-playbook` is missing (the bench runs as root). */
export function ensureAnsible(): void {
  ensureTools({ 'ansible-playbook': 'ansible-core' }, 'the bench');
}

/**
 * A private copy of the playbook (so a scenario can edit its files) plus scratch dirs.
 *
 * @example
 * const a = new AnsibleRunner(tmp); await a.run(hosts, 'tuned');
 */
export class AnsibleRunner {
  readonly dir: string;
  readonly playbook: string;
  private n = 0;

  constructor(tmp: string) {
    this.dir = mkdtempSync(join(tmp, 'ansible-'));
    this.playbook = join(this.dir, 'playbook');
    cpSync(SEED_DIR, this.playbook, { recursive: true });
    cpSync(FIXES_DIR, this.playbook, { recursive: true });
  }

  /** `ansible-playbook --version`'s core version, e.g. `2.14.18`. */
  version(): string {
    const out = spawnSync('ansible-playbook', ['--version'], { encoding: 'utf8' }).stdout ?? '';
    return /core ([\d.]+)/.exec(out)?.[1] ?? 'unknown';
  }

  /** The copy's file at `rel` under web/files (for the one-file-change scenario). */
  file(rel: string): string {
    return join(this.playbook, 'web/files', rel);
  }

  /** Runs the playbook on `hosts` and times the whole `ansible-playbook` process. */
  run(hosts: LabHost[], mode: AnsibleMode): Promise<AnsibleResult> {
    const inventory = join(this.dir, `inventory-${++this.n}.ini`);
    writeFileSync(inventory, '[webservers]\n' + hosts.map((h) => {
      const f = sshForward(h);
      return `${h.name} ansible_host=${f.ip} ansible_port=${f.port} ansible_user=${h.user} ansible_ssh_private_key_file=${h.privateKey}\n`;
    }).join(''));
    // A fresh ControlPath dir per run: no run reuses another run's SSH master connection.
    const cp = join(this.dir, `cp${this.n}`);
    mkdirSync(cp);
    const env: NodeJS.ProcessEnv = {
      ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_RETRY_FILES_ENABLED: '0', ANSIBLE_DEPRECATION_WARNINGS: '0',
      ANSIBLE_LOCAL_TEMP: join(this.dir, 'tmp'), ANSIBLE_SSH_CONTROL_PATH_DIR: cp, ANSIBLE_HOST_KEY_CHECKING: 'True',
    };
    const args = ['-i', inventory, 'playbook.yaml'];
    if (mode === 'tuned') {
      Object.assign(env, { ANSIBLE_PIPELINING: 'True', ANSIBLE_PYTHON_INTERPRETER: '/usr/bin/python3' });
      args.push('-f', String(Math.max(hosts.length, 5)));
    }
    const t0 = performance.now();
    return new Promise((resolve) => {
      execFile('ansible-playbook', args, { cwd: this.playbook, env, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
        const seconds = (performance.now() - t0) / 1000;
        const out = stdout + stderr;
        const changed = [...out.matchAll(/^\S+\s+:\s+ok=\d+\s+changed=(\d+)/gm)].reduce((s, m) => s + Number(m[1]), 0);
        const changedTasks = new Set<string>();
        let task = '';
        for (const line of out.split('\n')) {
          const t = /^(?:TASK|RUNNING HANDLER) \[(.*)\]/.exec(line);
          if (t) task = t[1]!;
          else if (line.startsWith('changed: [')) changedTasks.add(task);
        }
        resolve({ seconds, code: err ? Number((err as { code?: number }).code ?? 1) : 0, changed, changedTasks: [...changedTasks], out });
      });
    });
  }
}
