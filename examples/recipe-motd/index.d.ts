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
export declare const motd: import("shipshape").Recipe<MotdParams>;
