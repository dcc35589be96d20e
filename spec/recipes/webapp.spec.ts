import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createProject } from '../../lib/dsl/project.js';
import { buildPlan } from '../../lib/plan/build.js';
import type { Facts } from '../../lib/ops/types.js';
import { withFacts } from '../../lib/engine/facts.js';
import type { Task } from '../../lib/plan/types.js';
import type { WaitForArgs } from '../../lib/ops/wait-for.js';
import { webapp, type WebappParams } from '../../recipes/webapp/index.js';
import { nginxSite } from '../../recipes/nginx/index.js';
import { pythonApp } from '../../recipes/python-app/index.js';
import { tmpDir } from '../support/tmp.js';

const SEED = fileURLToPath(new URL('../e2e/seed-playbook/web/files/', import.meta.url));
const seedFile = (name: string) => readFileSync(join(SEED, name), 'utf8');
const facts: Facts = withFacts({ hostname: 'h', os: { id: 'debian', versionId: '12', codename: 'bookworm' }, arch: 'x86_64', init: 'sysvinit', serviceManager: 'sysvinit', cpus: 2, user: 'vagrant', vars: {} });

function plan(params: WebappParams = {}) {
  const p = createProject();
  p.group('web', ['h']).use(webapp, params);
  const { plan, problems } = buildPlan(p);
  return { host: plan.hosts[0], problems };
}

const dest = (t: Task) => {
  const a = t.args as Record<string, string | string[]>;
  if (t.kind === 'waitFor') return `${a.host ?? '127.0.0.1'}:${a.port}${a.path ?? ''}`;
  if (t.kind === 'flushHandlers') return (a.handlers as string[]).join(', ');
  return String(a.dest ?? a.path ?? a.name ?? (a.packages as string[] | undefined)?.join(' ') ?? a.command ?? (a.argv as string[] | undefined)?.join(' ') ?? a.requirements);
};

/** The content a template task would write to a host where the file is missing. */
async function rendered(t: Task): Promise<string> {
  const diff = await t.op.diff(t.args, { stdout: 'absent\n-\n', code: 0 }, { host: 'h', facts, baseDir: t.baseDir, check: true });
  const c = diff.changes.find((x) => x.what === 'content');
  assert.ok(c?.content, `${t.name} would write content`);
  return c!.content!.after;
}

const byDest = (tasks: Task[], path: string) => {
  const t = tasks.find((x) => dest(x) === path);
  assert.ok(t, `a task for ${path}`);
  return t!;
};

test('builds a valid plan with the seed playbook\'s tasks in its order, at its paths', () => {
  const { host, problems } = plan();
  assert.equal(problems, []);
  assert.equal(host!.tasks.map((t) => `${t.kind} ${dest(t)}`), [
    'apt nginx',
    'template /etc/nginx/nginx.conf',
    'file /etc/nginx/sites-available',
    'file /etc/nginx/sites-enabled',
    'service nginx',
    'apt python3 python3-venv supervisor',
    'file /opt/webapp',
    'venv /opt/webapp/venv',
    'copy /opt/webapp/requirements.txt',
    'copy /opt/webapp/app.py',
    'pip /opt/webapp/requirements.txt',
    'template /opt/webapp/gunicorn.conf.py',
    'template /etc/supervisor/conf.d/app_supervisor.conf',
    'file /var/log/gunicorn-error.log',
    'file /var/log/gunicorn-access.log',
    'service supervisor',
    `shell ${dest(host!.tasks[16]!)}`,
    'flushHandlers update supervisor, restart app',
    'waitFor 127.0.0.1:5000/',
    'template /etc/nginx/sites-available/app-nginx.conf',
    'file /etc/nginx/sites-enabled/app-nginx.conf',
    'flushHandlers reload nginx, check nginx site app-nginx.conf',
    'waitFor 127.0.0.1:80/',
  ]);
  assert.equal(host!.handlers.map((h) => h.name), ['reload nginx', 'update supervisor', 'restart app', 'check nginx site app-nginx.conf']);
});

test('renders nginx.conf, the server block, gunicorn.conf.py and the supervisor program byte for byte as the seed\'s files', async () => {
  const { host } = plan();
  const tasks = host!.tasks;
  assert.is(await rendered(byDest(tasks, '/etc/nginx/nginx.conf')), seedFile('nginx.conf'));
  assert.is(await rendered(byDest(tasks, '/etc/nginx/sites-available/app-nginx.conf')), seedFile('app-nginx.conf'));
  assert.is(await rendered(byDest(tasks, '/opt/webapp/gunicorn.conf.py')), seedFile('gunicorn.conf.py'));
  assert.is(await rendered(byDest(tasks, '/etc/supervisor/conf.d/app_supervisor.conf')), seedFile('app_supervisor.conf'));
});

test('copies the seed\'s app.py and requirements.txt by default', () => {
  const { host } = plan();
  const src = (path: string) => readFileSync((byDest(host!.tasks, path).args as { src: string }).src, 'utf8');
  assert.is(src('/opt/webapp/app.py'), seedFile('code/app.py'));
  assert.is(src('/opt/webapp/requirements.txt'), seedFile('code/requirements.txt'));
  assert.ok(seedFile('code/app.py').endsWith('srv.serve_forever()\n\n'), 'the tutorial\'s app.py ends with a blank line');
});

test('gives the seed\'s owners and modes, except the supervisor program, which is root\'s', () => {
  const { host } = plan();
  const attrs = (path: string) => {
    const a = byDest(host!.tasks, path).args as { owner?: string; group?: string; mode?: number };
    return `${a.owner}:${a.group} ${a.mode?.toString(8)}`;
  };
  assert.is(attrs('/etc/nginx/nginx.conf'), 'root:root 644');
  assert.is(attrs('/etc/nginx/sites-available/app-nginx.conf'), 'root:root 644');
  assert.is(attrs('/opt/webapp'), 'vagrant:vagrant 755');
  assert.is(attrs('/opt/webapp/app.py'), 'vagrant:vagrant 644');
  assert.is(attrs('/opt/webapp/requirements.txt'), 'vagrant:vagrant 644');
  assert.is(attrs('/opt/webapp/gunicorn.conf.py'), 'vagrant:vagrant 644');
  assert.is(attrs('/etc/supervisor/conf.d/app_supervisor.conf'), 'root:root 644');
  const link = byDest(host!.tasks, '/etc/nginx/sites-enabled/app-nginx.conf').args as { state: string; target: string };
  assert.equal([link.state, link.target], ['link', '/etc/nginx/sites-available/app-nginx.conf']);
});

test('notifies the nginx reload for nginx config, the app restart for code, requirements and gunicorn config', () => {
  const { host } = plan();
  const notify = (path: string) => byDest(host!.tasks, path).options.notify;
  assert.is(notify('/etc/nginx/nginx.conf'), 'reload nginx');
  // the site's own changes are checked again once nginx has reloaded them
  for (const p of ['/etc/nginx/sites-available/app-nginx.conf', '/etc/nginx/sites-enabled/app-nginx.conf']) assert.equal(notify(p), ['reload nginx', 'check nginx site app-nginx.conf'], p);
  for (const p of ['/opt/webapp/app.py', '/opt/webapp/requirements.txt', '/opt/webapp/gunicorn.conf.py']) assert.is(notify(p), 'restart app', p);
  // supervisorctl update restarts a changed program; the restart handler then checks it serves
  assert.equal(notify('/etc/supervisor/conf.d/app_supervisor.conf'), ['update supervisor', 'restart app']);
  assert.is(host!.tasks.find((t) => t.kind === 'pip')!.options.notify, 'restart app');
  assert.is(notify('/etc/nginx/sites-available'), undefined);
});

test('checks the nginx config with nginx -t before reloading, and drives supervisor with supervisorctl only', () => {
  const { host } = plan();
  const h = (name: string) => host!.handlers.find((x) => x.name === name)!.tasks.map((t) => `${t.kind} ${dest(t)}`);
  assert.equal(h('reload nginx'), ['command nginx -t', 'service nginx']);
  assert.is((host!.handlers[0]!.tasks[1]!.args as { state: string }).state, 'reloaded');
  assert.equal(h('update supervisor'), ['command supervisorctl reread', 'command supervisorctl update']);
  assert.equal(h('restart app'), [`shell ${dest(host!.handlers[2]!.tasks[0]!)}`, 'waitFor 127.0.0.1:5000/']);
  // Through supervisord's socket (no wait for startsecs), else supervisorctl restart; a failure is left to the health check.
  const restart = dest(host!.handlers[2]!.tasks[0]!);
  assert.ok(restart.includes('s.supervisor.stopProcess(name, True)') && restart.includes('s.supervisor.startProcess(name, False)'), restart);
  assert.match(restart, /\nsupervisorctl restart "\$p"\n\} \|\| echo "supervisorctl restart failed/);
  const services = host!.tasks.filter((t) => t.kind === 'service').map((t) => t.args);
  assert.equal(services, [{ name: 'nginx', state: 'started', enabled: true }, { name: 'supervisor', state: 'started', enabled: true }]);
  const apt = host!.tasks.find((t) => t.kind === 'apt')!.args as { updateCache: boolean; cacheValidTime: number };
  assert.equal([apt.updateCache, apt.cacheValidTime], [true, 3600]);
});

test('reports a missing required param as a plan problem with the fix, at the user\'s line', () => {
  const { problems } = plan({ appDir: '' });
  assert.is(problems.length, 1);
  assert.match(problems[0]!.message, /param appDir is required/);
  assert.match(problems[0]!.message, /pass \{ appDir: … \}/);
  assert.is(problems[0]!.callSite?.file, fileURLToPath(import.meta.url));
  const p = createProject();
  p.group('web', ['h']).use(webapp, { appDir: '' });
  assert.is(p.group('web').ops.length, 0, 'a recipe that failed adds no operations');
});

test('reports invalid params with what to pass', () => {
  const cases: [WebappParams, RegExp][] = [
    [{ port: 70000 }, /param port 70000 must be a whole number from 1 to 65535/],
    [{ owner: 'bad name' }, /param owner "bad name" is not valid/],
    [{ appDir: 'opt/webapp' }, /param appDir "opt\/webapp" must be an absolute path/],
    [{ workers: 0 }, /param workers 0 must be a whole number/],
    [{ site: 'app' }, /param site "app" is not valid/],
    [{ appSource: '/nonexistent/app.py' }, /param appSource .* is not a file or folder/],
    [{ module: 'my-app' }, /param module "my-app" is not valid/],
  ];
  for (const [params, re] of cases) {
    const { problems } = plan(params);
    assert.is(problems.length, 1, JSON.stringify(params));
    assert.match(problems[0]!.message, re);
  }
});

test('refuses a requirements file without gunicorn, which runs the app', () => {
  const tmp = tmpDir();
  try {
    writeFileSync(join(tmp.dir, 'requirements.txt'), 'flask\n');
    const { problems } = plan({ requirements: join(tmp.dir, 'requirements.txt') });
    assert.match(problems[0]!.message, /does not list gunicorn/);
    assert.match(problems[0]!.message, /add a line "gunicorn"/);
  } finally {
    tmp.cleanup();
  }
});

test('port, workers and listen change the rendered files', async () => {
  const { host, problems } = plan({ port: 8000, workers: 3, listen: 8080, timeout: 30 });
  assert.equal(problems, []);
  const gunicorn = await rendered(byDest(host!.tasks, '/opt/webapp/gunicorn.conf.py'));
  assert.match(gunicorn, /^bind = '0\.0\.0\.0:8000'$/m);
  assert.match(gunicorn, /^workers = 3$/m);
  assert.match(gunicorn, /^timeout = 30$/m);
  assert.match(gunicorn, /^keepalive = 24 \* 60 \* 60  # 1 day$/m);
  const site = await rendered(byDest(host!.tasks, '/etc/nginx/sites-available/app-nginx.conf'));
  assert.match(site, /^ {4}listen 8080;$/m);
  assert.match(site, /proxy_pass {9}"http:\/\/localhost:8000";/);
});

test('content: false drops the /content location and serverName adds a server_name line', async () => {
  const { host } = plan({ content: false, serverName: 'example.test' });
  const site = await rendered(byDest(host!.tasks, '/etc/nginx/sites-available/app-nginx.conf'));
  assert.not.match(site, /location \/content/);
  assert.ok(site.startsWith('server {\n    listen 80;\n    server_name example.test;\n\n    location / {\n'), site);
});

test('copies an app folder into appDir, and a single file names the WSGI module', async () => {
  const tmp = tmpDir();
  try {
    mkdirSync(join(tmp.dir, 'site'));
    writeFileSync(join(tmp.dir, 'site', 'wsgi.py'), 'def application(e, s):\n    pass\n');
    writeFileSync(join(tmp.dir, 'site', 'requirements.txt'), 'gunicorn==21.2.0\n');
    const dir = plan({ appSource: join(tmp.dir, 'site'), requirements: join(tmp.dir, 'site', 'requirements.txt'), module: 'wsgi', callable: 'application', appDir: '/srv/site' });
    assert.equal(dir.problems, []);
    const copy = dir.host!.tasks.filter((t) => t.kind === 'copy').map((t) => dest(t));
    assert.equal(copy, ['/srv/site/requirements.txt', '/srv/site']);
    const conf = await rendered(byDest(dir.host!.tasks, '/etc/supervisor/conf.d/app_supervisor.conf'));
    assert.match(conf, /^command=\/srv\/site\/venv\/bin\/gunicorn -c gunicorn\.conf\.py wsgi:application$/m);
    assert.match(conf, /^directory= \/srv\/site$/m);

    const file = plan({ appSource: join(tmp.dir, 'site', 'wsgi.py') });
    const conf2 = await rendered(byDest(file.host!.tasks, '/etc/supervisor/conf.d/app_supervisor.conf'));
    assert.match(conf2, /gunicorn\.conf\.py wsgi:app$/m);
    assert.ok(file.host!.tasks.some((t) => dest(t) === '/opt/webapp/wsgi.py'));
  } finally {
    tmp.cleanup();
  }
});

test('nginxSite and pythonApp are usable alone', () => {
  const p = createProject();
  p.host('a').use(nginxSite, { port: 8000 });
  p.host('b').use(pythonApp, { program: 'api' });
  const { plan: built, problems } = buildPlan(p);
  assert.equal(problems, []);
  const a = built.hosts.find((h) => h.name === 'a')!;
  const b = built.hosts.find((h) => h.name === 'b')!;
  assert.is(a.tasks.length, 9);
  assert.equal(a.handlers.map((h) => h.name), ['reload nginx', 'check nginx site app-nginx.conf']);
  assert.ok(b.tasks.some((t) => dest(t) === '/etc/supervisor/conf.d/api_supervisor.conf'));
  assert.equal(b.handlers.map((h) => h.name), ['update supervisor', 'restart api']);
});

const waits = (tasks: Task[]) => tasks.filter((t) => t.kind === 'waitFor').map((t) => t.args as WaitForArgs);
const handlerTasks = (host: { handlers: { name: string; tasks: Task[] }[] }, name: string) => host.handlers.find((h) => h.name === name)?.tasks ?? [];

test('ends with health checks: the app on its port with its logs, the site through nginx, and again after a restart or reload', () => {
  const { host } = plan();
  const [app, site] = waits(host!.tasks);
  assert.equal({ ...app, message: undefined }, {
    port: 5000, host: '127.0.0.1', path: '/', timeout: 30, logFile: ['/var/log/gunicorn-error.log', '/var/log/supervisor_err.log'], message: undefined,
  });
  assert.match(app!.message!, /^app is not serving with the code and config now on the host/);
  assert.equal({ ...site, message: undefined }, { port: 80, host: '127.0.0.1', path: '/', timeout: 30, logFile: '/var/log/nginx/error.log', message: undefined });
  assert.is(site!.status, undefined, 'any status below 500: a 502 from a dead app fails');
  const [restartWait] = waits(handlerTasks(host!, 'restart app'));
  assert.equal(restartWait!.logFile, app!.logFile);
  assert.match(restartWait!.message!, /restarted with the new code and config, which are on the host now, but it is not serving/);
  const [reloadWait] = waits(handlerTasks(host!, 'check nginx site app-nginx.conf'));
  assert.match(reloadWait!.message!, /nginx reloaded the new config of site app-nginx\.conf, which is on the host now, but the site is not serving/);
});

test('creates gunicorn\'s log files owned by runAs, so a non-root app can write them', () => {
  const { host, problems } = plan({ runAs: 'www-data', errorLog: '/var/log/app/error.log' });
  assert.equal(problems, []);
  for (const path of ['/var/log/app/error.log', '/var/log/gunicorn-access.log']) {
    const t = byDest(host!.tasks, path);
    assert.equal([t.kind, (t.args as { state: string }).state, (t.args as { owner: string }).owner], ['file', 'touch', 'www-data'], path);
  }
  assert.equal(waits(host!.tasks)[0]!.logFile, ['/var/log/app/error.log', '/var/log/supervisor_err.log']);
});

test('healthPath and healthTimeout go to the app\'s and the site\'s checks; false turns both off', () => {
  const custom = plan({ healthPath: '/health', healthTimeout: 90 });
  assert.equal(custom.problems, []);
  assert.equal(waits(custom.host!.tasks).map((w) => [w.port, w.path, w.timeout]), [[5000, '/health', 90], [80, '/health', 90]]);
  const off = plan({ healthPath: false });
  assert.equal(off.problems, []);
  assert.equal(waits(off.host!.tasks), []);
  assert.equal(off.host!.handlers.map((h) => h.name), ['reload nginx', 'update supervisor', 'restart app']);
  assert.equal(handlerTasks(off.host!, 'restart app').map((t) => `${t.kind} ${dest(t)}`), ['command supervisorctl restart app']);
  for (const [params, re] of [
    [{ healthPath: 'health' }, /param healthPath "health" is not valid/],
    [{ healthPath: '/a b' }, /param healthPath "\/a b" is not valid/],
    [{ healthTimeout: 0 }, /param healthTimeout 0 must be a whole number from 1 to 3600/],
  ] as [WebappParams, RegExp][]) {
    const { problems } = plan(params);
    assert.is(problems.length, 1, JSON.stringify(params));
    assert.match(problems[0]!.message, re);
  }
});

test('a unix socket bind skips the app\'s check; the site check follows listen and serverName; an ssl listen is only connected to', () => {
  const socket = plan({ bind: 'unix:/run/app.sock' });
  assert.equal(waits(socket.host!.tasks).map((w) => w.port), [80]);
  assert.equal(waits(handlerTasks(socket.host!, 'restart app')), []);
  const v6 = plan({ listen: '[::]:8080 default_server', serverName: 'example.org www.example.org', bind: '127.0.0.1:5000' });
  assert.equal(v6.problems, []);
  assert.equal(waits(v6.host!.tasks).map((w) => [w.host, w.port, w.hostHeader]), [['127.0.0.1', 5000, undefined], ['::1', 8080, 'example.org:8080']]);
  const ssl = plan({ listen: '443 ssl' });
  const [, site] = waits(ssl.host!.tasks);
  assert.equal([site!.port, site!.path, site!.hostHeader], [443, undefined, undefined]);
});

test('the seed playbook kept as test data says include, which this machine\'s ansible-core still runs', () => {
  const main = readFileSync(new URL('../e2e/seed-playbook/web/tasks/main.yaml', import.meta.url), 'utf8');
  assert.is(main, '---\n\n- include: nginx.yaml\n- include: webapp.yaml\n');
});

test.run();
