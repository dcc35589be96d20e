// shipshape as a user runs it: this checkout packed once (as `npm publish` would ship it),
// installed from the tarball into a temp project with tsx, and `npx tsx deploy.ts` timed as a
// whole process there (Node's start-up, tsx and the imports included).
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunSummary } from '../lib/report/events.js';
import { userProject, type UserProject } from '../spec/support/packed.js';
import { timed, type Timed } from './measure.js';

/** Which deploy.ts: the webapp recipe (the seed's app) or the light plan. */
export type Plan = 'webapp' | 'light';

const WEBAPP = `import { deploy, group, inventory } from 'shipshape';
import { webapp } from 'shipshape/recipes/webapp';

inventory.load('./cluster.json');
group('all').use(webapp, { appSource: './app.py' });

await deploy();
`;

// The light plan: a folder, 8 files and a template per host.
const LIGHT = `import { deploy, group, inventory } from 'shipshape';

inventory.load('./cluster.json');
const light = group('all').file('/opt/light', { state: 'directory', mode: 0o755 });
for (let i = 1; i <= 8; i++) {
  light.file(\`/opt/light/file-\${i}.conf\`, { content: \`# light plan, file \${i}\\nvalue = \${i}\\n\`, mode: 0o644 });
}
light.template('./light.conf.mustache', '/opt/light/light.conf', { vars: { name: 'light', workers: 4 }, mode: 0o644 });

await deploy();
`;

const LIGHT_TEMPLATE = '# written by the bench\nname = {{name}}\nworkers = {{workers}}\n';

export interface ShipshapeResult extends Timed {
  /** Changed tasks (handlers included) over all hosts, from the --json report. */
  changed: number;
  /** The engine's own run time (summary.durationMs): no start-up, no imports, no plan. */
  engineSeconds: number;
  /** Why it failed, when it did. */
  failures: string;
}

interface Report {
  summary?: RunSummary;
  problems?: { message: string }[];
  unreachable: Record<string, string>;
  tasks: { host: string; name: string; status: string; error?: string }[];
}

/**
 * A user's project: package.json, shipshape from the tarball, tsx, and in it `webapp.ts`,
 * `light.ts`, the seed's `app.py` and cluster.json (written by the bench).
 *
 * @example
 * const p = await ShipshapeProject.create(seedApp); await p.run('webapp', 'size-10', 10);
 */
export class ShipshapeProject {
  private n = 0;

  private constructor(private readonly project: UserProject) {}

  static async create(app: string): Promise<ShipshapeProject> {
    const project = await userProject({ how: 'packed' });
    writeFileSync(join(project.dir, 'webapp.ts'), WEBAPP);
    writeFileSync(join(project.dir, 'light.ts'), LIGHT);
    writeFileSync(join(project.dir, 'light.conf.mustache'), LIGHT_TEMPLATE);
    writeFileSync(join(project.dir, 'app.py'), app);
    return new ShipshapeProject(project);
  }

  get dir(): string {
    return this.project.dir;
  }

  /** The installed shipshape's version (package.json of node_modules/shipshape). */
  version(): string {
    return (JSON.parse(readFileSync(join(this.dir, 'node_modules/shipshape/package.json'), 'utf8')) as { version: string }).version;
  }

  /** Replaces the project's app.py (the one-file change). */
  setApp(text: string): void {
    writeFileSync(join(this.dir, 'app.py'), text);
  }

  /** `npx tsx <plan>.ts --limit <group> --forks <forks> --json <file>`, timed as a whole process. */
  async run(plan: Plan, group: string, forks: number): Promise<ShipshapeResult> {
    const json = join(this.dir, `report-${++this.n}.json`);
    const t = await timed('npx', ['--no', 'tsx', `${plan}.ts`, '--limit', group, '--forks', String(forks), '--json', json], { cwd: this.dir });
    let report: Report | undefined;
    try {
      report = JSON.parse(readFileSync(json, 'utf8')) as Report;
    } catch {
      return { ...t, changed: NaN, engineSeconds: NaN, failures: `no --json report (exit ${t.code}):\n${t.out.slice(-4000)}` };
    } finally {
      rmSync(json, { force: true });
    }
    const changed = Object.values(report.summary?.hosts ?? {}).reduce((s, h) => s + h.changed, 0);
    const failures = [
      ...report.tasks.filter((x) => x.status === 'failed' || x.status === 'unreachable').map((x) => `${x.host} ${x.name}: ${x.error ?? x.status}`),
      ...Object.entries(report.unreachable).map(([h, e]) => `${h}: ${e}`),
      ...(report.problems ?? []).map((p) => p.message),
      ...(t.code === 0 ? [] : [`exit ${t.code}:\n${t.out.slice(-2000)}`]),
    ].join('\n');
    return { ...t, changed, engineSeconds: (report.summary?.durationMs ?? NaN) / 1000, failures };
  }

  cleanup(): void {
    this.project.cleanup();
  }
}
