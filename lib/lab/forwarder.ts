/**
 * Port forwarding: `host_ip:host_port` on the controller to `guest_port` of a lab host, as
 * Vagrant's forwarded_port does. One small detached Node process per cluster does the proxying.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { ShipshapeError } from '../errors.js';
import { procRef, type ProcRef } from './proc.js';

export interface Route {
  hostIp: string;
  hostPort: number;
  guestIp: string;
  guestPort: number;
}

/** The forwarder itself: plain CommonJS so `node` runs it without tsx or a build. */
export const FORWARDER = `'use strict';
// shipshape lab port forwarder: host_ip:host_port on the controller -> address:guest_port of a lab host
const net = require('net');
const routes = JSON.parse(process.argv[2]);
let pending = routes.length;
function report(msg, then) {
  console.log(new Date().toISOString(), JSON.stringify(msg));
  if (process.send) process.send(msg, then); else if (then) then();
}
for (const r of routes) {
  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    const guest = net.connect({ host: r.guestIp, port: r.guestPort, allowHalfOpen: true });
    const drop = () => { client.destroy(); guest.destroy(); };
    client.on('error', drop);
    // nothing listens on the guest port: reset the client's connection, as a refused one would be
    guest.on('error', () => { if (client.resetAndDestroy) client.resetAndDestroy(); drop(); });
    client.on('close', drop);
    guest.on('close', drop);
    client.pipe(guest);
    guest.pipe(client);
  });
  server.on('error', (e) => report({ error: r.hostIp + ':' + r.hostPort + ': ' + e.message, code: e.code, route: r }, () => process.exit(1)));
  server.listen({ host: r.hostIp, port: r.hostPort, exclusive: true }, () => {
    if (--pending === 0) report({ ready: true }, () => { if (process.connected) process.disconnect(); });
  });
}
process.on('SIGTERM', () => process.exit(0));
process.on('SIGHUP', () => {});
`;

/**
 * Starts the forwarder detached (it outlives this process) and resolves once every port listens.
 *
 * @example
 * await startForwarder('/var/cache/shipshape/lab/bin/forwarder.cjs', [{ hostIp: '127.0.0.1', hostPort: 8080, guestIp: '10.77.0.11', guestPort: 80 }], 'fw.log')
 */
export async function startForwarder(script: string, routes: Route[], logFile: string, onStarted: (ref: ProcRef) => void): Promise<ProcRef> {
  const out = openSync(logFile, 'a');
  // the log path is an argument too: it names the cluster's dir, so a teardown finds the process even unrecorded
  const child = spawn(process.execPath, [script, JSON.stringify(routes), logFile], {
    detached: true, stdio: ['ignore', out, out, 'ipc'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
  });
  closeSync(out);
  const ref = child.pid === undefined ? undefined : procRef(child.pid);
  if (!ref) throw new ShipshapeError(`could not start the lab's port forwarder (${process.execPath})`);
  onStarted(ref);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new ShipshapeError('the lab\'s port forwarder did not start within 5 s', { stderr: tail(logFile) })), 5000);
      child.on('message', (m: { ready?: boolean; error?: string }) => {
        clearTimeout(timer);
        if (m.ready) resolve();
        else reject(new ShipshapeError(`the lab's port forwarder cannot listen on ${m.error}`, { fix: 'stop what listens on that port or change host_port in cluster.json' }));
      });
      child.on('exit', (code) => { clearTimeout(timer); reject(new ShipshapeError(`the lab's port forwarder exited (${code})`, { stderr: tail(logFile) })); });
    });
  } finally {
    child.removeAllListeners();
    child.on('error', () => undefined);
    if (child.connected) child.disconnect();
    child.unref();
  }
  return ref;
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-20).join('\n');
  } catch {
    return '';
  }
}

/** A port the lab is asked to forward, with where it comes from (for the error message). */
export interface WantedPort {
  hostIp: string;
  hostPort: number;
  node: string;
  field: string;
}

/**
 * Fails, naming the port and the cluster node, unless every port can be listened on now.
 *
 * @example
 * await checkPortsFree([{ hostIp: '127.0.0.1', hostPort: 22003, node: 'web-01', field: 'port_mappings[2]' }], 'cluster.json')
 */
export async function checkPortsFree(ports: WantedPort[], clusterFile: string): Promise<void> {
  for (const p of ports) {
    await new Promise<void>((resolve, reject) => {
      const server = createServer();
      server.once('error', (e: NodeJS.ErrnoException) => {
        const why = e.code === 'EADDRINUSE' ? 'is already in use' : e.code === 'EADDRNOTAVAIL' ? 'is not an address of this machine' : `cannot be used (${e.message})`;
        reject(new ShipshapeError(`${p.hostIp}:${p.hostPort} ${why}: ${clusterFile} forwards it for node "${p.node}" (${p.field})`, {
          host: p.node,
          fix: e.code === 'EADDRINUSE'
            ? `stop what listens there (ss -ltnp 'sport = :${p.hostPort}') or change host_port in ${clusterFile}`
            : `change host_ip in ${clusterFile}`,
        }));
      });
      server.listen({ host: p.hostIp, port: p.hostPort, exclusive: true }, () => server.close(() => resolve()));
    });
  }
}
