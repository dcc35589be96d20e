/**
 * A Python WSGI app as the seed tutorial runs it: a virtual env, the code and its
 * requirements, gunicorn with a config file, kept running by supervisord. The app is
 * restarted only when its code, requirements or config changed; supervisor is driven with
 * supervisorctl, so it works the same with systemd and with Debian's init script. With
 * `manager: 'systemd'`, a systemd unit keeps gunicorn running instead of supervisord.
 */
import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { quote, recipe, ShipshapeError, type ParamKeys, type Target } from '../../lib/index.js';
import { fileTaskName, localPath, optionalInt, recipeFile, requiredInt, requiredLine, requiredMatch, requiredPath, withDefaults } from '../params.js';
import { supervisorRestart, supervisorRunning } from './supervisor-running.js';

export interface PythonAppParams {
  /** Where the app lives on the host (default `/opt/webapp`). */
  appDir?: string;
  /** Owner and group of the app folder and its files (default `vagrant`, as the seed). */
  owner?: string;
  group?: string;
  /**
   * The app's code: one file or a whole folder, copied into `appDir`. A `file:` URL, an
   * absolute path, or a path relative to the folder of the file that applies the recipe (your
   * deploy.ts). Default: the seed's hello-world app.py.
   */
  appSource?: string | URL;
  /** A local requirements.txt (must list gunicorn), relative like `appSource`. Default: the seed's, `gunicorn`. */
  requirements?: string | URL;
  /** The WSGI module and callable: `<module>:<callable>` (default `app:app`). */
  module?: string;
  callable?: string;
  /** The port gunicorn binds on all addresses (default 5000). */
  port?: number;
  /** gunicorn's bind, instead of `0.0.0.0:<port>`. */
  bind?: string;
  /** gunicorn workers (default: the seed's `multiprocessing.cpu_count() * 2 + 1`). */
  workers?: number;
  /** gunicorn worker timeout and keep-alive, in seconds (defaults: 3 minutes and 1 day). */
  timeout?: number;
  keepalive?: number;
  /** gunicorn's log level and log files (defaults as the seed: info, /var/log/gunicorn-*.log). */
  logLevel?: string;
  errorLog?: string;
  accessLog?: string;
  /**
   * What keeps gunicorn running: `supervisor` (the default, as the seed: a supervisord
   * program) or `systemd` (a `<program>.service` unit, no supervisor installed).
   */
  manager?: 'supervisor' | 'systemd';
  /** The supervisor program name, or the systemd unit's name without `.service` (default `app`). */
  program?: string;
  /**
   * The user supervisor runs gunicorn as (default `root`, as the seed). Any user works:
   * `errorLog` and `accessLog` are created owned by it, so gunicorn can write them.
   */
  runAs?: string;
  /** supervisor's log files of the program (defaults as the seed). */
  stdoutLog?: string;
  stderrLog?: string;
  /** The interpreter that creates the venv (default `python3`). */
  python?: string;
  /**
   * The health check that ends the recipe and follows every restart: `GET <healthPath>` on
   * the app's port must get a status below 500 (default `/`), else the run fails with the
   * tail of `errorLog` and `stderrLog`. `false` turns it off; skipped when `bind` is a unix socket.
   */
  healthPath?: string | false;
  /** Seconds the app has to answer after a start or restart (default 30). */
  healthTimeout?: number;
}

/** Every param of {@link pythonApp}: `use()` reports any other key. */
export const PYTHON_APP_PARAMS: ParamKeys<PythonAppParams> = {
  appDir: true, owner: true, group: true, appSource: true, requirements: true, module: true, callable: true, port: true, bind: true,
  workers: true, timeout: true, keepalive: true, logLevel: true, errorLog: true, accessLog: true, program: true, runAs: true,
  stdoutLog: true, stderrLog: true, python: true, healthPath: true, healthTimeout: true, manager: true,
};

const DEFAULTS = {
  appDir: '/opt/webapp', owner: 'vagrant', group: 'vagrant', callable: 'app', port: 5000,
  logLevel: 'info', errorLog: '/var/log/gunicorn-error.log', accessLog: '/var/log/gunicorn-access.log',
  program: 'app', runAs: 'root', stdoutLog: '/var/log/supervisor_out.log', stderrLog: '/var/log/supervisor_err.log', python: 'python3',
  healthPath: '/' as string | false, healthTimeout: 30, manager: 'supervisor' as 'supervisor' | 'systemd',
};

const NAME = /^[a-z_][a-z0-9_-]*\$?$/i;
const MODULE = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*(\(\))?$/;
const R = 'pythonApp';

/** Checks the params (loudly, with the fix) and fills in defaults. */
export function resolvePythonApp(params: PythonAppParams = {}) {
  const p = withDefaults(params, DEFAULTS);
  const appDir = requiredPath(p, 'appDir', 'the folder the app is deployed to, like /opt/webapp', R);
  const owner = requiredMatch(p, 'owner', 'the user that owns the app folder, like www-data', NAME, R);
  const group = requiredMatch(p, 'group', 'the group of the app folder, like www-data', NAME, R);
  const appSource = p.appSource === undefined ? recipeFile(import.meta.url, 'app.py') : localPath(p.appSource);
  const kind = statSync(appSource, { throwIfNoEntry: false });
  if (!kind || (!kind.isFile() && !kind.isDirectory())) {
    throw new ShipshapeError(`param appSource ${JSON.stringify(String(p.appSource))} is not a file or folder (looked at ${appSource})`, {
      fix: "pass appSource: the app's file or folder, like './app/' (relative to the file that applies the recipe)",
    });
  }
  const requirements = p.requirements === undefined ? recipeFile(import.meta.url, 'requirements.txt') : localPath(p.requirements);
  let reqText: string;
  try {
    reqText = readFileSync(requirements, 'utf8');
  } catch (e) {
    throw new ShipshapeError(`param requirements: cannot read ${requirements}: ${(e as Error).message}`, { fix: 'pass requirements: the path of a local requirements.txt' });
  }
  if (!/^\s*gunicorn\b/im.test(reqText)) {
    throw new ShipshapeError(`param requirements: ${requirements} does not list gunicorn, which runs the app`, { fix: 'add a line "gunicorn" to the requirements file' });
  }
  // A single app file names the module: wsgi.py serves wsgi:app unless told otherwise.
  const fileModule = kind.isFile() && appSource.endsWith('.py') ? basename(appSource, '.py') : 'app';
  const q = withDefaults(p, { module: MODULE.test(fileModule) ? fileModule : 'app' });
  const module = requiredMatch(q, 'module', 'the Python module of the WSGI app, like app or mysite.wsgi', MODULE, R);
  const callable = requiredMatch(p, 'callable', 'the WSGI callable in the module, like app or application', IDENT, R);
  const port = requiredInt(p, 'port', 'the port gunicorn listens on, like 5000', 1, 65535, R);
  const workers = optionalInt(p, 'workers', 'the number of gunicorn workers, like 4', 1, 1024, R);
  const timeout = optionalInt(p, 'timeout', "gunicorn's worker timeout in seconds, like 180", 1, 365 * 86400, R);
  const keepalive = optionalInt(p, 'keepalive', "gunicorn's keep-alive in seconds, like 5", 0, 365 * 86400, R);
  const bind = p.bind === undefined ? `0.0.0.0:${port}` : requiredLine(p, 'bind', "gunicorn's bind, like 127.0.0.1:5000", R);
  if (/['\\]/.test(bind)) throw new ShipshapeError(`param bind ${JSON.stringify(bind)} must not contain quotes or backslashes`, { fix: 'pass bind like 127.0.0.1:5000' });
  const healthPath = p.healthPath === false ? undefined : requiredMatch(p, 'healthPath', 'the path the health check gets, like / or /health (or false)', /^\/[\x21-\x7e]*$/, R);
  const healthTimeout = requiredInt(p, 'healthTimeout', 'the seconds the app has to answer after a start, like 30', 1, 3600, R);
  return {
    health: healthPath === undefined ? undefined : healthCheckOf(bind), healthPath: healthPath ?? '/', healthTimeout,
    appDir, owner, group, appSource, appIsDir: kind.isDirectory(), requirements, module, callable, port, bind, workers, timeout, keepalive,
    venv: `${appDir}/venv`,
    logLevel: requiredMatch(p, 'logLevel', "gunicorn's log level, like info", /^(debug|info|warning|error|critical)$/, R),
    errorLog: requiredPath(p, 'errorLog', "gunicorn's error log file", R),
    accessLog: requiredPath(p, 'accessLog', "gunicorn's access log file", R),
    program: requiredMatch(p, 'program', 'the supervisor program name, like app', /^[A-Za-z0-9_.-]+$/, R),
    runAs: requiredMatch(p, 'runAs', 'the user gunicorn runs as, like www-data', NAME, R),
    stdoutLog: requiredPath(p, 'stdoutLog', "the program's stdout log file", R),
    stderrLog: requiredPath(p, 'stderrLog', "the program's stderr log file", R),
    python: requiredLine(p, 'python', 'the interpreter for the venv, like python3', R),
    manager: requiredMatch(p, 'manager', "what keeps gunicorn running: 'supervisor' or 'systemd'", /^(supervisor|systemd)$/, R) as 'supervisor' | 'systemd',
  };
}

export type ResolvedPythonApp = ReturnType<typeof resolvePythonApp>;

/**
 * Where the health check connects for a gunicorn bind: a wildcard address becomes loopback;
 * undefined for a unix socket, a file descriptor or a bind without a port.
 *
 * @example
 * healthCheckOf('0.0.0.0:5000')   // { host: '127.0.0.1', port: 5000 }
 */
export function healthCheckOf(bind: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:/\s]*)):(\d{1,5})$/.exec(bind);
  if (!m) return undefined;
  const addr = m[1] ?? m[2] ?? '';
  const host = addr === '' || addr === '0.0.0.0' || addr === '*' ? '127.0.0.1' : addr === '::' ? '::1' : addr;
  const port = Number(m[3]);
  return port >= 1 && port <= 65535 ? { host, port } : undefined;
}

/** The handler names a python app's changes notify. */
export const UPDATE_SUPERVISOR = 'update supervisor';
export const restartHandler = (program: string) => `restart ${program}`;

/**
 * The seed's webapp tasks: python3, python3-venv and supervisor; the app folder; a venv
 * (created once); requirements and code copied; requirements installed when they are not
 * satisfied; gunicorn.conf.py and the supervisor program rendered from params; gunicorn's
 * logs created for `runAs`; supervisor running; the program loaded and running; then a health
 * check: the app answers HTTP on its port. Changes restart the program through a handler
 * that runs the same check, so a new version that does not serve fails the run.
 *
 * @example
 * group('web').use(pythonApp, { appSource: './app/', module: 'wsgi', workers: 4 })
 */
export const pythonApp = recipe('pythonApp', (t: Target, params: PythonAppParams = {}) => {
  const p = resolvePythonApp(params);
  const restart = restartHandler(p.program);
  if (p.manager === 'systemd') return systemdApp(t, p);
  const prog = quote(p.program);
  t.handler(UPDATE_SUPERVISOR, (h) => h
    .command(['supervisorctl', 'reread'], { name: 'supervisorctl reread' })
    .command(['supervisorctl', 'update'], { name: 'supervisorctl update' }));
  // The restart proves itself: a new version that does not serve fails the run with its log.
  // supervisorctl's own failure says only "spawn error", so the health check is the judge.
  t.handler(restart, (h) => {
    if (p.health) h.shell(`{\n${supervisorRestart(p.program)}\n} || echo "supervisorctl restart failed (exit $?); the health check shows why"`, { name: `supervisorctl restart ${p.program}` });
    else h.command(['supervisorctl', 'restart', p.program], { name: `supervisorctl restart ${p.program}` });
    waitForApp(h, p, `${p.program} was restarted with the new code and config, which are on the host now, but it is not serving: fix it and run again`);
  });

  appTasks(t, p, ['python3', 'python3-venv', 'supervisor'], restart);
  const supervisorConf = recipeFile(import.meta.url, 'app_supervisor.conf.mustache');
  const program = `/etc/supervisor/conf.d/${p.program}_supervisor.conf`;
  t
    // root-owned: supervisord runs this command as root, so its config must not be writable by the app's owner.
    // `update` restarts a changed program; the restart handler after it proves the app serves.
    .template(supervisorConf, program, {
      owner: 'root', group: 'root', mode: 0o644, notify: p.health ? [UPDATE_SUPERVISOR, restart] : UPDATE_SUPERVISOR, name: fileTaskName('template', supervisorConf, program),
      vars: programVars(p),
    })
    // gunicorn opens its logs as runAs: created for that user, they are writable by it.
    .file(p.errorLog, { state: 'touch', owner: p.runAs })
    .file(p.accessLog, { state: 'touch', owner: p.runAs })
    .service('supervisor', { state: 'started', enabled: true })
    // Covers a program that supervisord has not loaded or that is stopped (the seed's failed
    // reload leaves it so); a running program makes this a no-op, seen in /proc without
    // starting supervisorctl. supervisord may still be creating its socket right after a
    // start, hence the wait.
    .shell([
      'i=0; until supervisorctl pid >/dev/null 2>&1 || [ $i -ge 50 ]; do i=$((i+1)); sleep 0.2; done',
      // `update` starts a program it added or changed from the files now on the host; one that
      // was already starting may have loaded them as they were before: that one is restarted.
      `u=$(supervisorctl update 2>&1); rc=$?; printf '%s\\n' "$u"`,
      'if [ $rc = 0 ]; then',
      `  out=$(supervisorctl start ${prog} 2>&1); rc=$?; printf '%s\\n' "$out"`,
      `  case $out in *'already started'*) case $u in *${prog}': added process group'*|*${prog}': updated process group'*) rc=0 ;; *) supervisorctl restart ${prog}; rc=$? ;; esac ;; esac`,
      `  [ $rc = 0 ] || ${p.health ? 'echo "supervisorctl start failed; the health check shows why"' : `supervisorctl status ${prog} | grep -Eq 'RUNNING|STARTING'`}`,
      'else (exit $rc); fi',
    ].join('\n'), {
      unless: supervisorRunning(p.program),
      name: `${p.program} running under supervisor`,
      // A program started here was loaded from the files now on the host: reread, update and
      // a restart right after would only repeat the start (about 2 s on a first run).
      supersedes: [UPDATE_SUPERVISOR, restart],
    });
  // A restart queued above (or left pending by a failed run) happens before the check, so the
  // check sees the new config: a new port answers only after the restart.
  if (p.health) t.flushHandlers({ handlers: [UPDATE_SUPERVISOR, restart], name: `restart ${p.program} now if it changed` });
  waitForApp(t, p, `${p.program} is not serving with the code and config now on the host: fix it and run again`);
}, { params: PYTHON_APP_PARAMS });

/**
 * What both managers share: the packages, the app folder, a venv, the requirements and code
 * copied, the requirements installed, and gunicorn.conf.py; each change notifies `restart`.
 */
function appTasks(t: Target, p: ResolvedPythonApp, packages: string[], restart: string): void {
  const mine = { owner: p.owner, group: p.group };
  t.apt(packages, { updateCache: true, cacheValidTime: 3600 })
    .file(p.appDir, { state: 'directory', ...mine, mode: 0o755 })
    .venv(p.venv, { python: p.python })
    .copy(p.requirements, `${p.appDir}/requirements.txt`, {
      ...mine, mode: 0o644, notify: restart, name: fileTaskName('copy', p.requirements, `${p.appDir}/requirements.txt`),
    });
  if (p.appIsDir) t.copy(p.appSource, p.appDir, { ...mine, notify: restart, name: `copy ${basename(p.appSource)}/ → ${p.appDir}` });
  else t.copy(p.appSource, `${p.appDir}/${basename(p.appSource)}`, { ...mine, mode: 0o644, notify: restart, name: fileTaskName('copy', p.appSource, `${p.appDir}/${basename(p.appSource)}`) });
  const gunicornConf = recipeFile(import.meta.url, 'gunicorn.conf.py.mustache');
  t.pip({ venv: p.venv, requirements: `${p.appDir}/requirements.txt`, notify: restart })
    .template(gunicornConf, `${p.appDir}/gunicorn.conf.py`, {
      ...mine, mode: 0o644, notify: restart, name: fileTaskName('template', gunicornConf, `${p.appDir}/gunicorn.conf.py`),
      vars: {
        logLevel: p.logLevel, errorLog: p.errorLog, accessLog: p.accessLog, bind: p.bind,
        workers: p.workers ?? 'multiprocessing.cpu_count() * 2 + 1',
        timeout: p.timeout ?? '3 * 60  # 3 minutes',
        keepalive: p.keepalive ?? '24 * 60 * 60  # 1 day',
      },
    });
}

/** The variables of the supervisor program file and of the systemd unit. */
const programVars = (p: ResolvedPythonApp) => ({
  program: p.program, runAs: p.runAs, appDir: p.appDir, venv: p.venv, module: p.module, callable: p.callable, stdoutLog: p.stdoutLog, stderrLog: p.stderrLog,
});

/**
 * The same app kept running by systemd: the code, venv, requirements and gunicorn config as
 * with supervisor, then a `<program>.service` unit (enabled, started); a change restarts the
 * unit through a handler that runs the health check.
 */
function systemdApp(t: Target, p: ResolvedPythonApp): void {
  const restart = restartHandler(p.program);
  const unit = `${p.program}.service`;
  t.handler(restart, (h) => {
    h.service(unit, { state: 'restarted', name: `systemctl restart ${unit}` });
    waitForApp(h, p, `${p.program} was restarted with the new code and config, which are on the host now, but it is not serving: fix it and run again`);
  });
  appTasks(t, p, ['python3', 'python3-venv'], restart);
  const unitTemplate = recipeFile(import.meta.url, 'gunicorn.service.mustache');
  t
    .file(p.errorLog, { state: 'touch', owner: p.runAs })
    .file(p.accessLog, { state: 'touch', owner: p.runAs })
    .systemdUnit(unit, {
      template: unitTemplate, enabled: true, state: 'started', notify: restart, name: `systemd unit ${unit}`,
      vars: programVars(p),
    });
  if (p.health) t.flushHandlers({ handlers: [restart], name: `restart ${p.program} now if it changed` });
  waitForApp(t, p, `${p.program} is not serving with the code and config now on the host: fix it and run again`);
}

/** The health check: the app answers HTTP on its port, else the error shows its logs. */
function waitForApp(t: Target, p: ResolvedPythonApp, message: string): void {
  if (!p.health) return;
  const { host, port } = p.health;
  t.waitFor({
    port, host, path: p.healthPath, timeout: p.healthTimeout, logFile: [p.errorLog, p.stderrLog], message,
    name: `${p.program} answers HTTP on port ${port}`,
  });
}
