import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import Mustache from 'mustache';
import { ShipshapeError } from '../errors.js';
import { isSecret, registerSecretContent, reveal } from '../secret.js';
import { ATTR_KEYS, validateAttrs, type Attrs } from './attrs.js';
import { absolutePathProblem } from './common.js';
import { contentProbe, fileActions, fileChanges, parseContentProbe, sha256, type PutData } from './content.js';
import type { Facts, OpSpec } from './types.js';

export interface TemplateArgs extends Attrs {
  /** A mustache file relative to the deploy file's folder, or the template text itself. */
  src: string | { inline: string };
  dest: string;
  /** Variables for the template, over the host's inventory variables. */
  vars?: Record<string, unknown>;
  /**
   * The rendered content is secret: never shown in diffs or reports, and masked wherever it
   * shows up. A template whose vars hold a secret() is never shown in diffs without it.
   */
  secret?: boolean;
}

type Token = [string, string, number, number, Token[]?, number?];

interface Missing { name: string; line: number }

/** Where the template comes from, for messages. */
function srcLabel(src: TemplateArgs['src']): string {
  return typeof src === 'string' ? src : 'inline template';
}

function readTemplate(src: TemplateArgs['src'], baseDir: string): string {
  return typeof src === 'string' ? readFileSync(resolve(baseDir, src), 'utf8') : src.inline;
}

/**
 * Every variable name a template references (values, sections, inverted sections), in order
 * of first use; `.` is left out.
 *
 * @example
 * templateVariables('{{#users}}{{name}}{{/users}} on {{facts.hostname}}')  // ['users', 'name', 'facts.hostname']
 */
export function templateVariables(src: string): string[] {
  const names: string[] = [];
  const walk = (tokens: Token[]) => {
    for (const t of tokens) {
      if (['name', '&', '#', '^'].includes(t[0]) && t[1] !== '.' && !names.includes(t[1])) names.push(t[1]);
      if (t[4]) walk(t[4]);
    }
  };
  walk(Mustache.parse(src) as Token[]);
  return names;
}

/** Mustache's lookup: the innermost context where the whole dotted path exists. */
function lookup(stack: unknown[], name: string): { found: boolean; value?: unknown } {
  if (name === '.') return { found: true, value: stack[stack.length - 1] };
  const parts = name.split('.');
  for (let i = stack.length - 1; i >= 0; i--) {
    let v: unknown = stack[i];
    let ok = true;
    for (const p of parts) {
      if (v !== null && typeof v === 'object' && p in v) v = (v as Record<string, unknown>)[p];
      else if (v !== null && v !== undefined && typeof v !== 'object' && Object.prototype.hasOwnProperty.call(v, p)) v = (v as Record<string, unknown>)[p];
      else { ok = false; break; }
    }
    if (ok) return { found: true, value: v };
  }
  return { found: false };
}

/**
 * Names the template uses that the view does not give. Section bodies are checked against
 * every item they would render with; bodies that would not render are not checked.
 */
function missingVariables(text: string, view: Record<string, unknown>): Missing[] {
  const missing: Missing[] = [];
  // Line numbers by binary search over line starts, duplicates by a set: a template with
  // thousands of missing names took minutes when each one rescanned the text and the list.
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  const lineOf = (offset: number) => {
    let lo = 0, hi = starts.length - 1;
    while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (starts[mid]! <= offset) lo = mid; else hi = mid - 1; }
    return lo + 1;
  };
  const seen = new Set<string>();
  const add = (t: Token) => {
    const m = { name: t[1], line: lineOf(t[2]) };
    const key = `${m.line}:${m.name}`;
    if (!seen.has(key)) { seen.add(key); missing.push(m); }
  };
  const walk = (tokens: Token[], stack: unknown[]) => {
    for (const t of tokens) {
      const [type, name] = t;
      if (type === 'name' || type === '&') {
        if (!lookup(stack, name).found) add(t);
      } else if (type === '#' || type === '^') {
        const r = lookup(stack, name);
        if (!r.found) { add(t); continue; }
        const v = r.value;
        if (typeof v === 'function') continue;
        const empty = !v || (Array.isArray(v) && v.length === 0);
        if (type === '^') { if (empty) walk(t[4] ?? [], stack); continue; }
        if (empty) continue;
        if (Array.isArray(v)) for (const item of v.slice(0, 100)) walk(t[4] ?? [], [...stack, item]);
        else walk(t[4] ?? [], [...stack, v]);
      }
    }
  };
  walk(Mustache.parse(text) as Token[], [view]);
  return missing;
}

/** The template reads `facts` (known only once the host answered). */
function usesFacts(tokens: Token[]): boolean {
  return tokens.some((t) => (['name', '&', '#', '^'].includes(t[0]) && (t[1] === 'facts' || t[1].startsWith('facts.'))) || (t[4] !== undefined && usesFacts(t[4])));
}

/**
 * The sha256 of the rendered template when the host's variables alone settle it: no facts,
 * no secret (the probe script shows in `ps`), every variable given; else undefined.
 */
function wantedSha(a: TemplateArgs, baseDir: string, vars: Record<string, unknown>): string | undefined {
  if (a.secret) return undefined;
  try {
    const text = readTemplate(a.src, baseDir);
    if (usesFacts(Mustache.parse(text) as Token[])) return undefined;
    const seen = { secret: false };
    const view = reveals({ ...vars, ...a.vars }, seen) as Record<string, unknown>;
    if (seen.secret || missingVariables(text, view).length) return undefined;
    return sha256(Buffer.from(Mustache.render(text, view, {}, { escape: String }), 'utf8'));
  } catch {
    return undefined;   // the diff reports it
  }
}

function hasPartial(tokens: Token[]): boolean {
  return tokens.some((t) => t[0] === '>' || (t[4] !== undefined && hasPartial(t[4])));
}

/** A record keyed by what the host has (packages, users): validation cannot know its keys, so it has all. */
const anyKey = (): Record<string, unknown> => new Proxy(Object.create(null) as Record<string, unknown>, {
  has: (_, k) => typeof k === 'string',
  get: (_, k) => (typeof k === 'string' ? anyKey() : undefined),
});

/** Facts as validation knows them: every key, no values (those come from the host). */
function factsSkeleton(vars: Record<string, unknown>): Facts {
  const route = { interface: '', gateway: '', address: '' };
  return {
    hostname: '', os: { id: '', versionId: '', codename: '' }, arch: '', init: 'sysvinit', serviceManager: 'unknown', cpus: 1, user: '', vars,
    memory: { totalMb: 0, availableMb: 0, swapTotalMb: 0, swapFreeMb: 0 },
    network: { interfaces: anyKey() as Facts['network']['interfaces'], defaultIpv4: route, defaultIpv6: route },
    mounts: [], blockDevices: [], packages: anyKey() as Facts['packages'], users: anyKey() as Facts['users'], groups: anyKey() as Facts['groups'],
    python: { path: '', version: '' },
  };
}

/** The view with secrets revealed; `secret` says whether any was. */
function reveals(value: unknown, seen: { secret: boolean }): unknown {
  if (isSecret(value)) { seen.secret = true; return reveal(value); }
  if (Array.isArray(value)) return value.map((v) => reveals(v, seen));
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, reveals(v, seen)]));
  }
  return value;
}

function missingMessage(label: string, missing: Missing[]): string {
  const shown = 20;
  const list = missing.slice(0, shown).map((m) => `{{${m.name}}} (line ${m.line})`).join(', ') +
    (missing.length > shown ? ` and ${missing.length - shown} more` : '');
  return `template ${label} uses ${list}, which no variable gives: add ${missing.length > 1 ? 'them' : 'it'} to vars or to the host's inventory variables`;
}

/**
 * A mustache template rendered without HTML escaping and written atomically. The view is the
 * host's inventory variables, overlaid by `vars`, plus `facts` (`{{facts.hostname}}`). A
 * variable the template uses and nothing gives is an error when the plan is validated.
 *
 * @example
 * host('web-01').template('files/app.conf.mustache', '/etc/app.conf', { vars: { port: 5000 } })
 */
export const templateOp: OpSpec<TemplateArgs> = {
  kind: 'template',
  keys: { ...ATTR_KEYS, src: 'template', dest: 'string', vars: 'vars', secret: 'boolean' },
  describe: (a) => `template ${srcLabel(a.src)} → ${a.dest}`,

  validate(a, ctx) {
    const problems = validateAttrs(a);
    const dp = absolutePathProblem('dest', a.dest);
    if (dp) problems.push(dp);
    if (a.vars !== undefined && (a.vars === null || typeof a.vars !== 'object' || Array.isArray(a.vars))) {
      problems.push(`vars ${JSON.stringify(a.vars)} must be an object of variables`);
      return problems;
    }
    const label = srcLabel(a.src);
    if (typeof a.src === 'string') {
      const path = resolve(ctx.baseDir, a.src);
      if (!existsSync(path)) return [...problems, `template ${JSON.stringify(a.src)} does not exist (looked in ${path})`];
    } else if (a.src === null || typeof a.src !== 'object' || typeof a.src.inline !== 'string') {
      return [...problems, `src ${JSON.stringify(a.src)} must be a template file or { inline: 'text' }`];
    }
    let text: string;
    try {
      text = readTemplate(a.src, ctx.baseDir);
      const tokens = Mustache.parse(text) as Token[];
      if (hasPartial(tokens)) problems.push(`template ${label} uses a partial ({{> name}}), which shipshape does not support`);
    } catch (e) {
      return [...problems, `template ${label} does not parse: ${(e as Error).message}`];
    }
    const vars = { ...ctx.vars, ...a.vars };
    const missing = missingVariables(text, { facts: factsSkeleton(ctx.vars), ...vars });
    if (missing.length) problems.push(missingMessage(label, missing));
    return problems;
  },

  // With the host's variables known, a template that uses no facts and no secret is rendered
  // here already: its sha256 goes with the probe, and a file that has it sends no content back.
  probe: (a, ctx) => contentProbe(a.dest, undefined, ctx?.vars ? wantedSha(a, ctx.baseDir, ctx.vars) : undefined),
  footprint: (a) => [{ path: a.dest }],
  probePaths: (a) => ({ stat: [a.dest], sum: [a.dest] }),

  diff(a, probed, ctx) {
    const text = readTemplate(a.src, ctx.baseDir);
    const seen = { secret: false };
    const view = reveals({ ...ctx.facts.vars, ...a.vars }, seen) as Record<string, unknown>;
    const full = { facts: ctx.facts, ...view };
    const missing = missingVariables(text, full);
    if (missing.length) throw new ShipshapeError(missingMessage(srcLabel(a.src), missing), { host: ctx.host });
    const content = Buffer.from(Mustache.render(text, full, {}, { escape: String }), 'utf8');
    const state = parseContentProbe(probed.stdout);
    if (a.secret) registerSecretContent(content);
    const changes = fileChanges(a.dest, content, state, a, ctx.host, seen.secret || a.secret === true);
    const data: PutData = { path: a.dest, content, state };
    return { changes, data, noop: `${a.dest} has the rendered content, owner and mode` };
  },

  apply: (a, diff) => fileActions(diff.data as PutData, a, diff.changes),
};
