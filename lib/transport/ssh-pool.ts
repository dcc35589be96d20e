import { SshTransport, type SshConnectOptions } from './ssh.js';

/**
 * One SSH connection per host for a whole run: every task and handler of a host gets the
 * same transport (and so the same connection). `closeAll()` at the end of the run.
 *
 * @example
 * const pool = new SshPool({ acceptNewHostKeys: argv.acceptNewHostKeys });
 * const t = pool.get('web-01', { address: '10.77.0.11', user: 'vagrant' });
 * await t.exec('uptime');
 * await pool.closeAll();
 */
export class SshPool {
  private readonly transports = new Map<string, SshTransport>();

  /** `defaults` apply to every host; a host's own options override them. */
  constructor(private readonly defaults: Omit<Partial<SshConnectOptions>, 'host'> = {}) {}

  /** The host's transport, created on the first call; later calls ignore `opts`. Connects on first use. */
  get(host: string, opts: Omit<SshConnectOptions, 'host'> = {}): SshTransport {
    let t = this.transports.get(host);
    if (!t) {
      t = new SshTransport({ ...this.defaults, ...definedOnly(opts), host });
      this.transports.set(host, t);
    }
    return t;
  }

  /** The host's transport, connected; rejects with an unreachable `ShipshapeError`. */
  async connect(host: string, opts: Omit<SshConnectOptions, 'host'> = {}): Promise<SshTransport> {
    const t = this.get(host, opts);
    await t.connect();
    return t;
  }

  /** How many hosts have a transport. */
  get size(): number {
    return this.transports.size;
  }

  /** Closes every connection (errors of already-dead ones are ignored). */
  async closeAll(): Promise<void> {
    const all = [...this.transports.values()];
    this.transports.clear();
    await Promise.all(all.map((t) => t.close().catch(() => undefined)));
  }
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
