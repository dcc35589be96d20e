import type { HostPlan } from '../plan/types.js';
import { LocalTransport } from './local.js';
import type { Transport } from './types.js';

export interface ConnectOptions {
  acceptNewHostKeys?: boolean;
  connectTimeoutMs?: number;
}

/**
 * The transport for a planned host: local, or a pooled SSH connection. The SSH code is
 * loaded only when a host needs it, so local-only runs never load ssh2.
 *
 * @example
 * const t = await connectHost(plan.hosts[0]!, { acceptNewHostKeys: true })
 */
export async function connectHost(h: HostPlan, o: ConnectOptions = {}): Promise<Transport> {
  if (h.options.transport === 'local') return new LocalTransport(h.name);
  const { createSshTransport } = await import('./ssh.js');
  return createSshTransport(h.name, {
    address: h.options.address,
    port: h.options.port,
    user: h.options.user,
    privateKey: h.options.privateKey,
    passphrase: h.options.passphrase,
    knownHostsFile: h.options.knownHostsFile,
    proxyJump: h.options.proxyJump,
    keepaliveIntervalMs: h.options.keepaliveInterval === undefined ? undefined : h.options.keepaliveInterval * 1000,
    keepaliveCountMax: h.options.keepaliveCountMax,
    allowSshRsa: h.options.allowSshRsa,
    acceptNewHostKeys: o.acceptNewHostKeys,
    connectTimeoutMs: o.connectTimeoutMs,
  });
}
