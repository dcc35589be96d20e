import { isAbsolute, resolve } from 'node:path';
import type { HostOptions } from './types.js';
import { checkLine, checkPort, type Problems } from './validate.js';

const KEY_VARS = ['ansible_private_key_file', 'ansible_ssh_private_key_file'];

/**
 * The variables with a relative private key path made absolute from `dir` (the folder of the
 * inventory file that gave them), so a key beside the inventory is found from anywhere.
 *
 * @example
 * resolveKeyPaths({ ansible_ssh_private_key_file: 'keys/web' }, '/srv/inv')   // { ansible_ssh_private_key_file: '/srv/inv/keys/web' }
 */
export function resolveKeyPaths(vars: Record<string, unknown>, dir: string): Record<string, unknown> {
  for (const k of KEY_VARS) {
    const v = vars[k];
    if (typeof v === 'string' && v !== '' && !isAbsolute(v) && !v.startsWith('~')) vars[k] = resolve(dir, v);
  }
  return vars;
}

const yes = (v: unknown) => v === true || v === 1 || (typeof v === 'string' && /^(true|yes|on|1)$/i.test(v));
const no = (v: unknown) => v === false || v === 0 || (typeof v === 'string' && /^(false|no|off|0)$/i.test(v));

/**
 * How shipshape reaches a host, from its Ansible variables: ansible_host, ansible_port,
 * ansible_user, ansible_(ssh_)private_key_file, ansible_connection=local, ansible_become
 * and ansible_become_user. A bad value is a problem named with the variable and the host.
 *
 * @example
 * connectionOf(p, 'web-01', { ansible_host: '10.0.0.5', ansible_port: 2222, ansible_become: true })
 * // { address: '10.0.0.5', port: 2222, become: true }
 */
export function connectionOf(p: Problems, host: string, vars: Record<string, unknown>): HostOptions {
  const pick = (...keys: string[]) => {
    const k = keys.find((x) => vars[x] !== undefined && vars[x] !== null);
    return k === undefined ? undefined : [`${k} of host ${JSON.stringify(host)}`, vars[k]] as const;
  };
  const o: HostOptions = {};
  const address = pick('ansible_host', 'ansible_ssh_host');
  if (address && checkLine(p, address[0], address[1], true)) o.address = address[1];
  const port = pick('ansible_port', 'ansible_ssh_port');
  if (port) o.port = checkPort(p, port[0], port[1], true);
  const user = pick('ansible_user', 'ansible_ssh_user');
  if (user && checkLine(p, user[0], user[1], true)) o.user = user[1];
  const key = pick(...KEY_VARS);
  if (key && checkLine(p, key[0], key[1])) o.privateKey = key[1];
  const conn = pick('ansible_connection');
  if (conn && checkLine(p, conn[0], conn[1], true) && conn[1] === 'local') o.transport = 'local';
  const become = pick('ansible_become');
  if (become) {
    if (yes(become[1])) o.become = true;
    else if (no(become[1])) o.become = false;
    else p.add(become[0], 'must be true or false', become[1]);
  }
  const becomeUser = pick('ansible_become_user');
  if (becomeUser && checkLine(p, becomeUser[0], becomeUser[1], true) && o.become === true) o.become = becomeUser[1];
  for (const k of Object.keys(o) as (keyof HostOptions)[]) if (o[k] === undefined) delete o[k];
  return o;
}
