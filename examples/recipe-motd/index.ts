import { recipe, required, type Target } from 'shipshape';

export interface MotdParams {
  /** The message; a final newline is added when missing. Required. */
  text: string;
  /** Where it goes (default `/etc/motd`). */
  path?: string;
  /** File mode (default 0o644). */
  mode?: number;
  /** A first line saying the file is managed, so nobody edits it by hand (default true). */
  banner?: boolean;
}

/**
 * The message of the day, written atomically; a second run changes nothing.
 *
 * @example
 * host('web-01').use(motd, { text: 'Welcome to web-01' })
 */
export const motd = recipe('motd', (t: Target, params: MotdParams) => {
  const text = required(params, 'text', 'the message of the day');
  const path = params.path ?? '/etc/motd';
  const body = text.endsWith('\n') ? text : `${text}\n`;
  const content = params.banner === false ? body : `# managed by shipshape (recipe motd): edits are overwritten\n${body}`;
  t.file(path, { content, mode: params.mode ?? 0o644 });
});
