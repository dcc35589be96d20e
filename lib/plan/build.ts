import { dirname } from 'node:path';
import { formatCallSite } from '../errors.js';
import { selectHosts } from './limit.js';
import type { Project } from '../dsl/project.js';
import type { HandlerDecl, OpEntry, Target } from '../dsl/target.js';
import type { HostOptions } from '../inventory/types.js';
import { checkHostOptions, Problems } from '../inventory/validate.js';
import { ops } from '../ops/index.js';
import { argProblems, optionProblems } from '../ops/arg-check.js';
import { didYouMean } from '../did-you-mean.js';
import type { OpSpec } from '../ops/types.js';
import { duplicateHandlerProblem, handlerNames, sameHandler } from './handlers.js';
import type { HandlerPlan, HostPlan, Plan, PlanProblem, Segment, Task } from './types.js';
import { findCycle } from './cycles.js';
import { nameProblem } from '../report/escape.js';
import { selectByTags } from './tags-select.js';

export interface BuildOptions {
  /** Host or group names; only these hosts run. */
  limit?: string[];
  /** Only tasks with one of these tags run (Ansible's --tags; see lib/plan/tags.ts). */
  tags?: string[];
  /** Tasks with one of these tags are left out (--skip-tags). */
  skipTags?: string[];
}

/** How a target is named in messages and in `Task.target`: `group webservers`. */
const labelOf = (t: Target) => `${t.kind} ${t.name}`;

/**
 * Turns what the deploy file declared into a validated plan. Every problem found is
 * returned at once, each with its call site; nothing is contacted.
 *
 * @example
 * const { plan, problems } = buildPlan(project, { limit: ['web-01'] });
 * if (problems.length) console.log(problems.map((p) => p.message).join('\n'));
 */
export function buildPlan(project: Project, o: BuildOptions = {}): { plan: Plan; problems: PlanProblem[] } {
  const problems: PlanProblem[] = project.problems.map((p) => ({ message: p.message, callSite: p.callSite }));
  // Options given in code get the same checks as an inventory's (types, one-word names, ports).
  for (const [name, h] of project.hostTargets) {
    const found = new Problems(`host(${JSON.stringify(name)})`);
    checkHostOptions(found, 'options', h.options);
    for (const message of found.list) problems.push({ message: `host(${JSON.stringify(name)}) ${message}`, host: name, callSite: h.callSite });
  }
  const inv = project.inventory;

  // Members of every group target, and the targets each host belongs to.
  const groupMembers = new Map<string, string[]>();
  for (const [name, g] of project.groupTargets) {
    const members = g.members ?? [...(inv.groups.get(name) ?? [])];
    if (members.length === 0 && (g.target.ops.length > 0 || g.target.handlers.length > 0)) {
      const known = [...inv.groups.keys()];
      problems.push({
        message: `group ${JSON.stringify(name)} has no hosts: it was given no members and the inventory has no such group` +
          (known.length ? ` (inventory groups: ${known.join(', ')})` : ' (no inventory loaded)'),
        callSite: g.target.ops[0]?.task.callSite,
      });
    }
    groupMembers.set(name, members);
  }
  const targetsOf = new Map<string, Target[]>();
  const addTarget = (host: string, t: Target) => {
    const list = targetsOf.get(host) ?? [];
    if (!list.includes(t)) list.push(t);
    targetsOf.set(host, list);
  };
  for (const [name, h] of project.hostTargets) addTarget(name, h.target);
  for (const [name, g] of project.groupTargets) for (const m of groupMembers.get(name)!) addTarget(m, g.target);

  // --limit: Ansible's host patterns over hosts and groups.
  let selected = [...targetsOf.keys()];
  if (o.limit?.length) {
    const groupNames = [...new Set([...groupMembers.keys(), ...inv.groups.keys()])];
    const r = selectHosts(o.limit, selected, (g) => groupMembers.get(g) ?? (inv.groups.has(g) ? [...inv.groups.get(g)!] : undefined), groupNames);
    for (const message of r.problems) problems.push({ message });
    selected = selected.filter((h) => r.hosts.has(h));
  }

  const hosts: HostPlan[] = [];
  // The target that declared each task (by task id): after() is resolved from it.
  const declaredBy = new Map<string, Target>();
  // Hosts where a recipe failed: the handlers it would have declared are missing, so their
  // unknown notify names are follow-on errors, not reported.
  const recipeFailed = new Set<string>();
  // Handler declarations that clash (same name, different operations), once per pair.
  const clashes = new Map<string, { first: HandlerDecl; second: HandlerDecl; hosts: string[] }>();
  for (const name of selected) {
    const targets = targetsOf.get(name)!;
    const options: HostOptions = { ...inv.hosts.get(name), ...project.hostTargets.get(name)?.options };
    options.vars = inv.varsOf(name, project.hostTargets.get(name)?.options.vars);
    const entries = targets.flatMap((t) => t.ops).sort((a, b) => a.seq - b.seq);
    const tasks = entries.map((e, i) => {
      const t = makeTask(e, name, i, options, undefined);
      declaredBy.set(t.id, e.target);
      return t;
    });
    if (targets.some((t) => t.failedRecipes.length > 0)) recipeFailed.add(name);
    const seen = new Map<string, { decl: HandlerDecl; plan: HandlerPlan }>();
    const handlers: HandlerPlan[] = [];
    for (const decl of targets.flatMap((t) => t.handlers).sort((a, b) => a.seq - b.seq)) {
      const plan: HandlerPlan = {
        name: decl.name,
        callSite: decl.callSite,
        tasks: decl.ops.map((e, i) => makeTask(e, name, i, options, decl.name)),
        tags: decl.tags,
      };
      const first = seen.get(decl.name);
      // One handler declared twice (a recipe used twice): it has the tags of both.
      if (first && decl.tags.length) first.plan.tags = [...new Set([...first.plan.tags ?? [], ...decl.tags])];
      if (!first) {
        seen.set(decl.name, { decl, plan });
        handlers.push(plan);
      } else if (!sameHandler(first.plan, plan)) {
        // The same recipe applied twice declares identical handlers: those are one handler.
        const key = `${first.decl.seq}:${decl.seq}`;
        const c = clashes.get(key) ?? { first: first.decl, second: decl, hosts: [] };
        c.hosts.push(name);
        clashes.set(key, c);
      }
    }
    hosts.push({ name, options, tasks, handlers });
  }

  for (const c of clashes.values()) problems.push(duplicateHandlerProblem(c.first, c.second, c.hosts));
  for (const h of hosts) validateHost(h, problems, recipeFailed.has(h.name));
  // After validation: a task left out by tags must still be a valid one.
  const leftOutByTags = selectByTags(project, hosts, { tags: o.tags, skipTags: o.skipTags }, problems);
  const segments = buildSegments(hosts, declaredBy, groupMembers, problems);
  return { plan: { hosts, segments, ...(leftOutByTags ? { leftOutByTags } : {}) }, problems };
}

function makeTask(e: OpEntry, host: string, index: number, hostOpts: HostOptions, handler: string | undefined): Task {
  const op = ops[e.task.kind]!;
  const become = e.task.options.become ?? e.target.defaultBecome ?? hostOpts.become;
  return {
    id: handler ? `${host}#handler:${handler}#${index}` : `${host}#${index}`,
    host, index, kind: e.task.kind, op, args: e.task.args, options: e.task.options, become,
    name: e.task.options.name ?? describe(op, e.task.args, e.task.kind),
    target: labelOf(e.target),
    callSite: e.task.callSite,
    baseDir: e.task.callSite ? dirname(e.task.callSite.file) : process.cwd(),
    handler,
  };
}

/** The op's one-line description; args of the wrong type must not crash the plan (validation names them). */
function describe(op: OpSpec<unknown> | undefined, args: unknown, kind: string): string {
  try {
    return op ? op.describe(args) : kind;
  } catch {
    return kind;
  }
}

function validateHost(h: HostPlan, problems: PlanProblem[], recipeFailed: boolean): void {
  // Names are printed on report lines: one with a newline or an escape sequence could forge them.
  const hostName = nameProblem('host name', h.name);
  if (hostName) problems.push({ message: hostName, host: h.name });
  for (const x of h.handlers) {
    const p = nameProblem('handler name', x.name);
    if (p) problems.push({ message: p, host: h.name, callSite: x.callSite });
  }
  const names = new Set(h.handlers.map((x) => x.name));
  const all = [...h.tasks, ...h.handlers.flatMap((x) => x.tasks)];
  for (const t of all) {
    const at = (message: string) => problems.push({ message, host: h.name, task: t.name, callSite: t.callSite });
    const optionTypes = optionProblems(t.options);
    for (const p of optionTypes) at(p);
    const taskName = typeof t.options.name === 'string' ? nameProblem('task name', t.options.name) : undefined;
    if (taskName) at(taskName);
    if (!t.op) { at(`unknown operation ${JSON.stringify(t.kind)}${didYouMean(t.kind, Object.keys(ops))}`); continue; }
    const { unknown, types } = argProblems(t.op, t.args);
    for (const p of [...unknown, ...types]) at(p);
    // The op's own checks assume well-typed args.
    if (types.length === 0) {
      let found: string[] = [];
      try {
        found = t.op.validate(t.args, { host: h.name, baseDir: t.baseDir, vars: h.options.vars ?? {} });
      } catch (e) {
        found = [`could not be validated: ${(e as Error).message}`];
      }
      for (const p of found) at(p);
    }
    if (recipeFailed) continue;
    const notify = handlerNames(t, 'notify');
    const supersedes = handlerNames(t, 'supersedes');
    const flushed = t.kind === 'flushHandlers' ? (t.args as { handlers?: unknown }).handlers : undefined;
    for (const [label, n] of [...notify.map((x) => ['notify', x] as const), ...supersedes.map((x) => ['supersedes', x] as const), ...(Array.isArray(flushed) ? flushed : []).map((x) => ['flushHandlers', x] as const)]) {
      if (typeof n === 'string' && !names.has(n)) at(`${label} ${JSON.stringify(n)} names no handler of this host` + (names.size ? ` (handlers: ${[...names].join(', ')})` : ' (it has none)'));
    }
  }
}

function buildSegments(hosts: HostPlan[], declaredBy: Map<string, Target>, groupMembers: Map<string, string[]>, problems: PlanProblem[]): Segment[] {
  const segments: Segment[] = [];
  const segOfTask = new Map<string, Segment>();
  const awaited = (t: Task) => declaredBy.get(t.id)!.afters.map((a) => a.target);
  for (const h of hosts) {
    let cur: Segment | undefined;
    let curKey = '';
    let n = 0;
    for (const t of h.tasks) {
      const waitsFor = awaited(t).map(labelOf).sort();
      const key = waitsFor.join('|');
      if (!cur || key !== curKey) {
        cur = { id: `${h.name}@${n++}`, host: h.name, tasks: [], deps: cur ? [cur.id] : [], waitsFor };
        curKey = key;
        segments.push(cur);
      }
      cur.tasks.push(t);
      segOfTask.set(t.id, cur);
    }
    if (!cur) segments.push({ id: `${h.name}@0`, host: h.name, tasks: [], deps: [], waitsFor: [] });
  }
  // after(): a segment waits for the last task of each awaited target on each of its hosts.
  const planned = new Map(hosts.map((h) => [h.name, h]));
  for (const s of segments) {
    const first = s.tasks[0];
    if (!first) continue;
    for (const target of awaited(first)) {
      const members = target.kind === 'host' ? [target.name] : groupMembers.get(target.name) ?? [];
      for (const m of members) {
        const hp = planned.get(m);
        if (!hp) continue;
        const last = [...hp.tasks].reverse().find((t) => declaredBy.get(t.id) === target);
        if (!last) continue;
        const dep = segOfTask.get(last.id)!;
        if (dep.id !== s.id && !s.deps.includes(dep.id)) s.deps.push(dep.id);
        if (dep.id === s.id) problems.push({ message: `${first.target} waits for ${labelOf(target)}, whose operations on ${m} come in the same sequence: a cycle`, host: m, callSite: first.callSite });
      }
    }
  }
  const cycle = findCycle(segments.map((s) => ({ id: s.id, deps: s.deps })));
  if (cycle) {
    const describe = (id: string) => {
      const s = segments.find((x) => x.id === id)!;
      return `${s.host} (${s.tasks[0]?.target ?? 'no tasks'}${s.tasks[0]?.callSite ? ' at ' + formatCallSite(s.tasks[0].callSite) : ''})`;
    };
    problems.push({ message: `after() makes a cycle: ${cycle.map(describe).join(' → ')}` });
  }
  return segments;
}
