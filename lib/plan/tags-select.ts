/** Applies `--tags` / `--skip-tags` (lib/plan/tags.ts) to the host plans being built. */
import type { Project } from '../dsl/project.js';
import type { HostPlan, PlanProblem } from './types.js';
import { handlerRuns, selectionProblems, taskRuns, type TagSelection } from './tags.js';

/**
 * Leaves the tasks the selection does not run out of each host's plan (also without a
 * selection: tasks tagged `never` are left out), marks the handlers `--skip-tags` skips, and
 * adds a problem for each selected tag that no task or handler of the project carries.
 * Returns how many tasks were left out, over all hosts.
 *
 * @example
 * const leftOut = selectByTags(project, hosts, { tags: ['nginx'] }, problems);
 */
export function selectByTags(project: Project, hosts: HostPlan[], sel: TagSelection, problems: PlanProblem[]): number {
  if (sel.tags?.length || sel.skipTags?.length) {
    // Every host's tags, not only the selected ones: `--limit db --tags nginx` is no typo.
    const targets = [...project.hostTargets.values(), ...project.groupTargets.values()].map((x) => x.target);
    const known = new Set(targets.flatMap((t) => [...t.ops.flatMap((e) => [e.task.options.tags ?? []].flat()), ...t.handlers.flatMap((h) => h.tags)]));
    for (const message of selectionProblems(sel, known)) problems.push({ message });
  }
  let leftOut = 0;
  for (const h of hosts) {
    const kept = h.tasks.filter((t) => taskRuns([t.options.tags ?? []].flat(), sel));
    leftOut += h.tasks.length - kept.length;
    h.tasks = kept;
    for (const x of h.handlers) if (!handlerRuns(x.tags ?? [], sel)) x.skippedByTags = true;
  }
  return leftOut;
}
