import { spawnSync } from 'node:child_process';

/** Installs a Debian package with apt-get when its command is missing (tests run as root). */
export function ensureCommand(command: string, pkg: string): void {
  if (spawnSync('sh', ['-c', `command -v ${command}`]).status === 0) return;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => spawnSync('apt-get', ['install', '-y', '-q', pkg], { stdio: 'ignore', env }).status === 0;
  if (!install()) {
    spawnSync('apt-get', ['update', '-q'], { stdio: 'ignore', env });
    if (!install()) throw new Error(`${command} is missing and apt-get install ${pkg} failed`);
  }
}
