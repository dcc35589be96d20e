import type { Become, ExecOptions, PutOptions, Transport } from '../transport/types.js';

/** What a watcher is told before a command or an upload goes to the host. */
export interface TransportWatcher {
  exec(command: string, become: string | undefined): void;
  put(path: string, bytes: number, become: string | undefined): void;
}

/**
 * Who a command runs as, for output: the user, never a password.
 *
 * @example
 * becomeUser({ user: 'postgres', password: secret('pw-123') })   // 'postgres'
 */
export function becomeUser(b: Become | undefined): string | undefined {
  if (b === undefined || b === false) return undefined;
  if (b === true) return 'root';
  if (typeof b === 'string') return b;
  return b.user ?? 'root';
}

/**
 * The transport, telling `watch` about each command and upload before it goes out: the engine
 * turns those into events (`-v` shows them), so every path that reaches a host is seen without
 * each caller having to say so.
 *
 * @example
 * const t = watchTransport(await connectHost(plan), { exec: (c) => seen.push(c), put: () => {} });
 */
export function watchTransport(inner: Transport, watch: TransportWatcher): Transport {
  return {
    host: inner.host,
    exec(command: string, opts?: ExecOptions) {
      watch.exec(command, becomeUser(opts?.become));
      return inner.exec(command, opts);
    },
    put(path: string, data: string | Buffer, opts?: PutOptions) {
      watch.put(path, Buffer.byteLength(data), becomeUser(opts?.become));
      return inner.put(path, data, opts);
    },
    close: () => inner.close(),
  };
}
