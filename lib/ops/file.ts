import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ShipshapeError } from '../errors.js';
import { isSecret, registerSecretContent, type Secret } from '../secret.js';
import { quote } from '../transport/quote.js';
import { ATTR_KEYS, attrChanges, attrCommands, chained, validateAttrs, type Attrs } from './attrs.js';
import { absolutePathProblem, oneOfProblem, statProbe } from './common.js';
import { contentProbe, fileActions, fileChanges, parseContentProbe, sha256, smallFileSha, toBuffer, type PutData } from './content.js';
import type { Action, Change, OpSpec } from './types.js';

export interface FileArgs extends Attrs {
  path: string;
  /**
   * `file` (default; with `content`/`src` the content is managed, without it an empty file is
   * created when missing), `directory` (created with parents), `link` (symlink to `target`),
   * `absent`, `touch` (created empty when missing; an existing file is left alone, so a
   * second run changes nothing).
   */
  state?: 'file' | 'directory' | 'link' | 'absent' | 'touch';
  content?: string | Buffer | Secret;
  /** A local file whose content is uploaded; relative to the deploy file's folder. */
  src?: string;
  /** The link target for `state: 'link'`. */
  target?: string;
  /** Replace an existing file or directory by the link. */
  force?: boolean;
  /**
   * The content (from `content` or `src`) is secret: never shown in diffs or reports, and
   * masked wherever it shows up. A `content` made with secret() is secret without it.
   */
  secret?: boolean;
}

/** The sha256 the file should have, when it may show in `ps` (not secret) and is cheap to know. */
function wantedSha(a: FileArgs, baseDir: string): string | undefined {
  if (a.secret || isSecret(a.content)) return undefined;
  return a.content !== undefined ? sha256(toBuffer(a.content)) : smallFileSha(resolve(baseDir, a.src!));
}

/** A file with content (or src): the only state whose probe needs the current content. */
const readsContent = (a: FileArgs) => stateOf(a) === 'file' && (a.content !== undefined || a.src !== undefined);

function stateOf(a: FileArgs): NonNullable<FileArgs['state']> {
  return a.state ?? (a.target !== undefined ? 'link' : 'file');
}

/**
 * Desired state of one path: content, directory, link or absence, with owner/group/mode.
 *
 * @example
 * host('web-01').file('/etc/motd', { content: 'managed by shipshape\n', mode: 0o644 })
 */
export const fileOp: OpSpec<FileArgs> = {
  kind: 'file',
  keys: { ...ATTR_KEYS, path: 'string', state: 'string', content: 'content', src: 'string', target: 'string', force: 'boolean', secret: 'boolean' },
  describe: (a) => `file ${a.path}${stateOf(a) === 'file' ? '' : ` (${stateOf(a)})`}`,

  validate(a, ctx) {
    const problems = validateAttrs(a);
    const state = stateOf(a);
    const pp = absolutePathProblem('path', a.path);
    if (pp) problems.push(pp);
    const sp = oneOfProblem('state', state, ['file', 'directory', 'link', 'absent', 'touch']);
    if (sp) problems.push(sp);
    if (a.content !== undefined && a.src !== undefined) problems.push('give either content or src, not both');
    if ((a.content !== undefined || a.src !== undefined) && state !== 'file') problems.push(`content and src go with state 'file', not ${JSON.stringify(state)}`);
    if (state === 'link' && !a.target) problems.push("state 'link' needs a target");
    if (a.src !== undefined && !existsSync(resolve(ctx.baseDir, a.src))) problems.push(`src ${JSON.stringify(a.src)} does not exist (looked in ${resolve(ctx.baseDir, a.src)})`);
    return problems;
  },

  // Only a file with content (or src) needs the current content; a folder, a link, an absence
  // or a file kept as it is (a log file made sure to exist) is judged by its stat alone, so a
  // large file is never read. The wanted checksum rides along for content that is not secret
  // (and a small src), so an unchanged file sends none back.
  probe(a, ctx) {
    if (!readsContent(a)) return `${statProbe(a.path)}; echo -`;
    return contentProbe(a.path, undefined, wantedSha(a, ctx?.baseDir ?? process.cwd()));
  },
  probePaths: (a) => ({ stat: [a.path], sum: readsContent(a) ? [a.path] : [] }),
  // A link or a removal changes what every path below it means.
  footprint: (a) => [{ path: a.path, subtree: stateOf(a) === 'link' || stateOf(a) === 'absent' }],

  diff(a, probed, ctx) {
    const state = parseContentProbe(probed.stdout);
    const cur = state.stat.type;
    const want = stateOf(a);
    const changes: Change[] = [];
    const conflict = (what: string) => new ShipshapeError(`${a.path} exists as a ${cur}, not a ${what}`, {
      host: ctx.host, fix: want === 'link' ? 'pass force: true to replace it with the link' : `remove it first (state: 'absent')`,
    });
    if (want === 'absent') {
      if (cur !== 'absent') changes.push({ what: 'state', before: cur, after: 'absent' });
      return { changes, noop: 'already absent' };
    }
    if (want === 'link') {
      if (cur === 'link' && state.stat.linkTarget === a.target) return { changes, noop: `already links to ${a.target}` };
      if (cur !== 'absent' && cur !== 'link' && !a.force) throw conflict('link');
      changes.push({ what: 'link', before: cur === 'link' ? state.stat.linkTarget : cur, after: a.target });
      return { changes };
    }
    if (want === 'directory') {
      if (cur === 'absent') changes.push({ what: 'state', before: 'absent', after: 'directory' });
      else if (cur !== 'directory') throw conflict('directory');
      changes.push(...attrChanges(a, state.stat));
      return { changes, noop: 'directory exists with the wanted owner and mode' };
    }
    if (cur !== 'absent' && cur !== 'file') throw conflict('file');
    let content: Buffer | undefined;
    if (a.content !== undefined) content = toBuffer(a.content);
    else if (a.src !== undefined) content = readFileSync(resolve(ctx.baseDir, a.src));
    else if (cur === 'absent') content = Buffer.alloc(0);
    if (content !== undefined && a.secret) registerSecretContent(content);
    if (content !== undefined) changes.push(...fileChanges(a.path, content, state, a, ctx.host, isSecret(a.content) || a.secret === true));
    else changes.push(...attrChanges(a, state.stat));
    const data: PutData = { path: a.path, content: content ?? Buffer.alloc(0), state };
    return { changes, data, noop: content ? 'content, owner and mode are as wanted' : 'file exists with the wanted owner and mode' };
  },

  apply(a, diff) {
    const { changes } = diff;
    const want = stateOf(a);
    const p = quote(a.path);
    if (want === 'absent') return [{ kind: 'exec', command: `rm -rf -- ${p}` }];
    if (want === 'link') {
      const rm = a.force ? [`if [ ! -L ${p} ]; then rm -rf -- ${p}; fi`] : [];
      return chained([...rm, `ln -sfn -- ${quote(a.target!)} ${p}`]);
    }
    if (want === 'directory') {
      const created = changes.some((c) => c.what === 'state');
      const mk = created ? [`mkdir -p -- ${p}`] : [];
      // A new directory gets every wanted attribute, whatever mkdir gave it; one round trip.
      const attrs = created ? attrChanges(a, { type: 'directory' }) : changes;
      return chained([...mk, ...attrCommands(a.path, a, attrs)]);
    }
    return fileActions(diff.data as PutData, a, changes);
  },
};
