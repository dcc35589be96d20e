// What `shipshape init` writes: a user's project as the README's quick start builds it by hand.

export interface ProjectVersions {
  /** The range of shipshape the project depends on: `^` and this package's version. */
  shipshape: string;
  tsx: string;
  typescript: string;
  typesNode: string;
}

/** The SSH and HTTP ports of the sample host on 127.0.0.1: the README's quick start's. */
export const SAMPLE_PORTS = { ssh: 22003, http: 8080 };

/**
 * An npm package name from a folder's name: lower case, only the characters npm allows, not
 * starting with `.` or `_`; `infra` when nothing is left.
 *
 * @example
 * packageName('My Infra')   // 'my-infra'
 */
export function packageName(folder: string): string {
  const name = folder.toLowerCase().replace(/[^a-z0-9._~-]+/g, '-').replace(/^[._-]+|-+$/g, '').slice(0, 214);
  return name || 'infra';
}

/**
 * The files of a new project by path: package.json, tsconfig.json, cluster.json (one lab
 * host, web-01), deploy.ts (the webapp recipe on it) and .gitignore.
 *
 * @example
 * Object.keys(projectFiles('infra', { shipshape: '^0.1.0', tsx: '^4.23.15', typescript: '^5.9.3', typesNode: '^20.19.43' }))
 * // ['package.json', 'tsconfig.json', 'cluster.json', 'deploy.ts', '.gitignore']
 */
export function projectFiles(name: string, v: ProjectVersions): Record<string, string> {
  const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
  return {
    'package.json': json({
      name,
      version: '0.0.0',
      private: true,
      // deploy.ts uses import and top-level await: an ES module.
      type: 'module',
      scripts: {
        check: 'tsx deploy.ts --check --diff',
        deploy: 'tsx deploy.ts',
        typecheck: 'tsc --noEmit',
      },
      dependencies: { shipshape: v.shipshape, tsx: v.tsx },
      devDependencies: { '@types/node': v.typesNode, typescript: v.typescript },
    }),
    'tsconfig.json': json({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        types: ['node'],
      },
      include: ['**/*.ts'],
      exclude: ['node_modules'],
    }),
    // The seed tutorial's format; no network_configs: the lab does not use them, and an
    // address there would be somebody's real one.
    'cluster.json': `{
  "nodes": [
    {
      "host_name": "web-01",
      "port_mappings": [
        { "guest_port": 22, "host_port": ${SAMPLE_PORTS.ssh}, "host_ip": "127.0.0.1" },
        { "guest_port": 80, "host_port": ${SAMPLE_PORTS.http}, "host_ip": "127.0.0.1" }
      ]
    }
  ]
}
`,
    'deploy.ts': `// What the hosts of cluster.json should look like.
//   npx tsx deploy.ts --check --diff     what would change, changing nothing
//   npx tsx deploy.ts                    make it so (--limit web-01, --help for the rest)
import { deploy, group, inventory } from 'shipshape';
import { webapp } from 'shipshape/recipes/webapp';

// Every node of cluster.json is a host in group "all", reached as vagrant with sudo.
// Relative paths are relative to this file, wherever you run tsx from.
inventory.load('./cluster.json');

// The seed tutorial's Python app under gunicorn and supervisord, behind nginx on port 80.
// Your own app: .use(webapp, { appSource: './app.py' })
group('all')
  .use(webapp, {})
  .file('/etc/motd', { content: 'managed by shipshape\\n', mode: 0o644 });

await deploy();
`,
    '.gitignore': `node_modules/
# the lab's private keys for the hosts of cluster.json, as Vagrant keeps them
.vagrant/
`,
  };
}
