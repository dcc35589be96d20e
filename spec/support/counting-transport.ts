import { LocalTransport } from '../../lib/transport/local.js';
import type { ExecOptions, PutOptions, Transport } from '../../lib/transport/types.js';

/** A real local transport that records every call, to count round trips. */
export class CountingTransport implements Transport {
  readonly calls: { kind: 'exec' | 'put'; text: string }[] = [];
  private readonly inner: LocalTransport;
  closed = false;

  constructor(readonly host: string) {
    this.inner = new LocalTransport(host);
  }

  exec(command: string, opts?: ExecOptions) {
    this.calls.push({ kind: 'exec', text: command });
    return this.inner.exec(command, opts);
  }

  put(path: string, data: string | Buffer, opts?: PutOptions) {
    this.calls.push({ kind: 'put', text: path });
    return this.inner.put(path, data, opts);
  }

  async close() {
    this.closed = true;
    await this.inner.close();
  }
}
