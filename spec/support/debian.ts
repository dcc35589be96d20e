import { ensureTools } from '../../lib/lab/preflight.js';

/** Installs a Debian package with apt-get when its command is missing (tests run as root). */
export function ensureCommand(command: string, pkg: string): void {
  ensureTools({ [command]: pkg }, 'this test');
}
