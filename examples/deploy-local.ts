// A small deploy on this machine, no SSH: files, a template, a guarded shell command and a
// handler, all under /tmp/shipshape-example. Run it twice: the second run changes nothing.
//
//   npx tsx --tsconfig examples/tsconfig.json examples/deploy-local.ts [--check] [--diff]
import { deploy, host } from 'shipshape';

const dir = '/tmp/shipshape-example';

host('localhost', { transport: 'local' })
  .file(dir, { state: 'directory', mode: 0o755 })
  .file(`${dir}/motd`, { content: 'managed by shipshape\n', mode: 0o644 })
  // Relative template paths resolve from this file's folder.
  .template('files/app.conf.mustache', `${dir}/app.conf`, { vars: { port: 5000, workers: 4 }, mode: 0o640, notify: 'reload app' })
  // One line kept in a file that other tools also edit (like lineinfile).
  .line(`${dir}/app.env`, { line: 'APP_ENV=production', regexp: '^APP_ENV=', create: true })
  .shell(`date +%s > ${dir}/installed-at`, { creates: `${dir}/installed-at`, name: 'record the install time once' })
  .handler('reload app', (h) => h.shell(`echo "reloaded $(date +%s)" >> ${dir}/reloads.log`, { name: 'reload the app' }));

await deploy();
