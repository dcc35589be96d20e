// The floors the tools are measured against, in the same run on the same hosts: plain OpenSSH
// to every host at once, one whole process (a bash script starting one `ssh` per host and
// waiting for them all), so nothing a tool does on the controller is in them.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LabHost } from '../lib/lab/index.js';
import { quote } from '../lib/transport/quote.js';
import { timed, type Timed } from './measure.js';
import { sshForward } from './web.js';

const FILES = fileURLToPath(new URL('../spec/e2e/seed-playbook/web/files/', import.meta.url));

/** A file of the seed's role, written by the script with a quoted here-document. */
function put(src: string, dest: string, owner: string): string {
  const text = readFileSync(join(FILES, src), 'utf8');
  if (text.includes('\nBENCH_EOF\n')) throw new Error(`${src} contains the here-document's end marker`);
  return `cat > ${dest} <<'BENCH_EOF'\n${text}${text.endsWith('\n') ? '' : '\n'}BENCH_EOF\nchown ${owner} ${dest}; chmod 0644 ${dest}`;
}

/** Waits until `port` on the host answers GET / with 200 (bash's /dev/tcp: no curl on the hosts). */
const waitHttp = (port: number) => `bash -c 'for i in $(seq 150); do
  s=$( (exec 3<>/dev/tcp/127.0.0.1/${port} && printf "GET / HTTP/1.0\\r\\n\\r\\n" >&3 && head -c 12 <&3) 2>/dev/null ) && case $s in *" 200") exit 0;; esac
  sleep 0.2; done; echo "port ${port} never answered 200" >&2; exit 1'`;

/**
 * What a first webapp run has to do on a fresh host, as one root shell script with no checks
 * and no round trips: what the recipe does (recipes/webapp), in its order, with the seed's
 * files. It is the lower bound of a first run: packages, venv, pip from the lab's wheelhouse,
 * files, the supervisor program, the nginx site, and the two "it answers" checks.
 *
 * @example
 * firstRunScript()   // 'set -eu\nexport DEBIAN_FRONTEND=noninteractive\napt-get update ...'
 */
export function firstRunScript(): string {
  return [
    'set -eu',
    'export DEBIAN_FRONTEND=noninteractive',
    'apt-get -q update >/dev/null',
    'apt-get -q -y install nginx python3 python3-venv supervisor >/dev/null',
    put('nginx.conf', '/etc/nginx/nginx.conf', 'root:root'),
    'mkdir -p -m 0755 /etc/nginx/sites-available /etc/nginx/sites-enabled',
    'mkdir -p -m 0755 /opt/webapp; chown vagrant:vagrant /opt/webapp',
    'python3 -m venv /opt/webapp/venv',
    put('code/requirements.txt', '/opt/webapp/requirements.txt', 'vagrant:vagrant'),
    put('code/app.py', '/opt/webapp/app.py', 'vagrant:vagrant'),
    '/opt/webapp/venv/bin/pip install -q -r /opt/webapp/requirements.txt',
    put('gunicorn.conf.py', '/opt/webapp/gunicorn.conf.py', 'vagrant:vagrant'),
    put('app_supervisor.conf', '/etc/supervisor/conf.d/app_supervisor.conf', 'root:root'),
    'touch /var/log/gunicorn-error.log /var/log/gunicorn-access.log',
    // the package started supervisord; its socket may still be coming up
    'i=0; until supervisorctl pid >/dev/null 2>&1 || [ $i -ge 50 ]; do i=$((i+1)); sleep 0.2; done',
    'supervisorctl update >/dev/null',
    waitHttp(5000),
    put('app-nginx.conf', '/etc/nginx/sites-available/app-nginx.conf', 'root:root'),
    'ln -sfn /etc/nginx/sites-available/app-nginx.conf /etc/nginx/sites-enabled/app-nginx.conf',
    'nginx -t -q',
    'systemctl reload nginx',
    waitHttp(80),
    '',
  ].join('\n');
}

/**
 * Runs `command` as vagrant on every host at once over OpenSSH (the lab's key, host keys
 * checked), `input` on its stdin, and times the whole thing as one process; rejects when a
 * host failed.
 *
 * @example
 * await floor(dir, hosts, 'sudo -n true')                      // the many-hosts floor
 * await floor(dir, hosts, 'sudo -n sh -s', firstRunScript())   // the first-run floor
 */
export async function floor(dir: string, hosts: LabHost[], command: string, input?: string): Promise<Timed> {
  const stdin = join(dir, 'floor-input.sh');
  writeFileSync(stdin, input ?? '');
  const lines = hosts.map((h, i) => {
    const f = sshForward(h);
    const args = ['ssh', '-F', '/dev/null', '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-o', 'StrictHostKeyChecking=yes',
      '-o', 'ControlMaster=no', '-i', h.privateKey, '-p', String(f.port), `${h.user}@${f.ip}`, command];
    return `${args.map(quote).join(' ')} < ${quote(stdin)} > ${quote(join(dir, `floor-${i}.log`))} 2>&1 &`;
  });
  const script = join(dir, 'floor.sh');
  writeFileSync(script, ['fail=0', ...lines, 'for p in $(jobs -p); do wait "$p" || fail=1; done', 'exit $fail', ''].join('\n'));
  const t = await timed('bash', [script], { cwd: dir });
  if (t.code !== 0) {
    const logs = hosts.map((h, i) => `${h.name}: ${readFileSync(join(dir, `floor-${i}.log`), 'utf8').trim().slice(-500)}`).filter((l) => !l.endsWith(': '));
    throw new Error(`the floor (${command}) failed on some host:\n${logs.join('\n').slice(-4000)}`);
  }
  return t;
}
