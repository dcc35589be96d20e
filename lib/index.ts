/** shipshape: put servers into a desired state over SSH. Public API (re-exports only). */
export { host, group, inventory, deploy, createProject, defaultProject } from './dsl/default-project.js';
export { recipe, required, paramsFor, type Recipe, type RecipeOptions, type ParamKeys } from './dsl/recipe.js';
export { resolveFromCaller } from './dsl/call-site.js';
export { Target } from './dsl/target.js';
export { Project } from './dsl/project.js';
export { secret, isSecret, reveal, type Secret } from './secret.js';
export { ShipshapeError, type CallSite } from './errors.js';
export { quote, argv } from './transport/quote.js';
export { LocalTransport } from './transport/local.js';
export type { Transport, ExecOptions, ExecResult, PutOptions, Become } from './transport/types.js';
export type { HostOptions, InventoryData } from './inventory/types.js';
export { Inventory } from './inventory/inventory.js';
export type { Facts, CommonOptions, Change, OpSpec } from './ops/types.js';
export type { DeployOptions, DeployResult } from './engine/deploy.js';
export type { EngineEvent, Reporter, RunSummary, HostStats, TaskResult, TaskStatus } from './report/events.js';
export { plainReporter } from './report/plain.js';
export { liveReporter } from './report/live.js';
export { jsonReporter } from './report/json.js';
