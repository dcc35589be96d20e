import { recipe, required } from 'shipshape';
/**
 * The message of the day, written atomically; a second run changes nothing.
 *
 * @example
 * host('web-01').use(motd, { text: 'Welcome to web-01' })
 */
export const motd = recipe('motd', (t, params) => {
    const text = required(params, 'text', 'the message of the day');
    const path = params.path ?? '/etc/motd';
    const body = text.endsWith('\n') ? text : `${text}\n`;
    const content = params.banner === false ? body : `# managed by shipshape (recipe motd): edits are overwritten\n${body}`;
    t.file(path, { content, mode: params.mode ?? 0o644 });
});
