// A controller to kill mid-upload: puts `size` bytes of `fill` at `path` through the local
// or an SSH transport, as a separate process the test can SIGKILL.
// Usage: node --import tsx put-child.ts '<json>'   (json: PutChildJob)
import { LocalTransport } from '../../lib/transport/local.js';
import { connectSsh, type SshConnectOptions } from '../../lib/transport/ssh.js';
import type { Become } from '../../lib/transport/types.js';

export interface PutChildJob {
  ssh?: SshConnectOptions;
  path: string;
  size: number;
  fill: string;
  become?: Become;
}

const job = JSON.parse(process.argv[2]!) as PutChildJob;
const t = job.ssh ? await connectSsh(job.ssh) : new LocalTransport();
process.stdout.write('connected\n');
await t.put(job.path, Buffer.alloc(job.size, job.fill), { become: job.become });
process.stdout.write('done\n');
await t.close();
