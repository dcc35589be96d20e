import { Inventory } from '../inventory/inventory.js';
import type { HostOptions } from '../inventory/types.js';
import { ShipshapeError, type CallSite } from '../errors.js';
import { captureCallSite } from './call-site.js';
import { Target, type BuildProblem, type TargetOwner } from './target.js';

/**
 * Everything a deploy file declares: targets, their operations and handlers, and the
 * inventory. `host()`, `group()` and `inventory` of the package act on a default project;
 * tests make their own with `createProject()`.
 */
export class Project implements TargetOwner {
  readonly inventory = new Inventory((message, callSite) => this.problems.push({ message: `inventory: ${message}`, callSite, target: 'inventory' }));
  readonly hostTargets = new Map<string, { target: Target; options: HostOptions; callSite?: CallSite }>();
  readonly groupTargets = new Map<string, { target: Target; members?: string[] }>();
  readonly problems: BuildProblem[] = [];
  private seq = 0;

  nextSeq(): number {
    return ++this.seq;
  }

  /**
   * The target for one host; the same target every time for the same name.
   * @example host('web-01', { address: '10.0.0.5', user: 'deploy' }).apt(['htop'])
   */
  host(name: string, options?: HostOptions): Target {
    if (!name || typeof name !== 'string') throw new ShipshapeError(`host() needs a name, got ${JSON.stringify(name)}`);
    const known = this.hostTargets.get(name);
    if (known) {
      if (options) { Object.assign(known.options, options); known.callSite = captureCallSite(); }
      return known.target;
    }
    const target = new Target(this, 'host', name);
    this.hostTargets.set(name, { target, options: { ...options }, callSite: options ? captureCallSite() : undefined });
    return target;
  }

  /**
   * The target for a group: its members are given here, or come from the inventory.
   * @example group('webservers', ['web-01', 'web-02']).apt(['nginx'])
   */
  group(name: string, members?: string[]): Target {
    if (!name || typeof name !== 'string') throw new ShipshapeError(`group() needs a name, got ${JSON.stringify(name)}`);
    const known = this.groupTargets.get(name);
    if (known) {
      if (members) known.members = [...new Set([...(known.members ?? []), ...members])];
      return known.target;
    }
    const target = new Target(this, 'group', name);
    this.groupTargets.set(name, { target, members: members ? [...members] : undefined });
    return target;
  }

  /**
   * What `t.vars` gives: a host's merged variables (inventory, then code), a group's own
   * over its parents'. A handler has none of its own: read them from the host or group.
   */
  varsOf(t: Target): Record<string, unknown> {
    if (t.kind === 'host') return this.inventory.varsOf(t.name, this.hostTargets.get(t.name)?.options.vars);
    if (t.kind === 'group') return this.inventory.groupVars(t.name);
    throw new ShipshapeError(`handler ${JSON.stringify(t.name)} has no variables of its own`, { fix: 'read t.vars from the host or group target that declares the handler, outside its callback' });
  }

  /** Forgets every target and the inventory. */
  reset(): void {
    this.hostTargets.clear();
    this.groupTargets.clear();
    this.problems.length = 0;
    this.inventory.clear();
    this.seq = 0;
  }
}

/**
 * A project of its own, apart from the default one `host()` and `group()` use: for tests and tools.
 *
 * @example
 * const p = createProject();
 * p.host('a', { transport: 'local' }).shell('true');
 * await deployProject(p);
 */
export function createProject(): Project {
  return new Project();
}
