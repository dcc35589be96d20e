// `npm run demo`: brings up the lab from examples/cluster.json (one Debian host, web-01, with
// guest port 80 on 127.0.0.1:8080), runs examples/deploy.ts against it, then fetches the page.
// The lab stays up; take it down with: npx tsx bin/shipshape.ts lab down examples/cluster.json
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { labUp } from '../lib/lab/index.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const cluster = here('./cluster.json');
const url = 'http://127.0.0.1:8080';

console.log('== lab up: examples/cluster.json');
let t0 = Date.now();
const hosts = await labUp(cluster, { log: (line) => console.log(`   ${line}`) });
console.log(`   ${hosts.map((h) => h.name).join(', ')} up in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

console.log('== tsx examples/deploy.ts');
t0 = Date.now();
const tsx = createRequire(import.meta.url).resolve('tsx/cli');
const code = await new Promise<number>((resolve, reject) => {
  const child = spawn(process.execPath, [tsx, '--tsconfig', here('./tsconfig.json'), here('./deploy.ts'), ...process.argv.slice(2)], { stdio: 'inherit' });
  child.on('error', reject);
  child.on('close', (c) => resolve(c ?? 1));
});
console.log(`   deploy exited ${code} after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
if (code !== 0) process.exit(code);

console.log(`== GET ${url}`);
const res = await fetch(url).catch((e: Error) => { console.error(`   ${e.message}`); process.exit(1); });
const body = await res.text();
process.stdout.write(body);
console.log(`== the lab is still up; take it down with: npx tsx bin/shipshape.ts lab down examples/cluster.json`);
if (res.status !== 200 || body !== 'Hello, World!\n') {
  console.error(`expected "Hello, World!", got HTTP ${res.status}`);
  process.exit(1);
}
