import { deployProject, type DeployOptions, type DeployResult } from '../engine/deploy.js';
import type { HostOptions } from '../inventory/types.js';
import { createProject, Project } from './project.js';
import type { Target } from './target.js';

/** The project that `host()`, `group()`, `inventory` and `deploy()` act on. */
export const defaultProject: Project = createProject();

/**
 * The target for one host.
 * @example host('web-01').apt(['htop'])
 */
export function host(name: string, options?: HostOptions): Target {
  return defaultProject.host(name, options);
}

/**
 * The target for a group of hosts (members given, or from the inventory).
 * @example group('webservers').use(webapp, { appDir: '/opt/webapp' })
 */
export function group(name: string, members?: string[]): Target {
  return defaultProject.group(name, members);
}

/**
 * The inventory of the default project.
 * @example inventory.load('cluster.json')
 */
export const inventory = defaultProject.inventory;

/**
 * Validates the whole plan, then runs it; resolves to the summary and sets process.exitCode.
 * @example await deploy();   // tsx deploy.ts --check --diff --limit web-01
 */
export function deploy(options?: DeployOptions): Promise<DeployResult> {
  return deployProject(defaultProject, options);
}

export { createProject };
