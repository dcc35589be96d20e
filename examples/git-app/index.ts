/**
 * An example recipe: an app deployed from git, kept running by a systemd unit, with a
 * timer-driven job beside it. A new commit restarts the app, and the run ends only when the
 * restarted app answers.
 */
import { recipe, required, type Target } from 'shipshape';

export interface GitAppParams {
  /** The app's git repository, cloned on the host. Required. */
  repo: string;
  /** The branch, tag or commit to deploy (default `main`). */
  version?: string;
  /** Names the user, the units (`<name>.service`, `<name>-report.timer`) and the folders (default `hello`). */
  name?: string;
  /** The port the app listens on (default 8000). */
  port?: number;
  /** When the report job runs, as systemd's OnCalendar (default every 15 minutes). */
  reportEvery?: string;
}

/**
 * `git` clones the app into `/opt/<name>`; `systemdUnit` writes `<name>.service` (enabled,
 * started) and a `<name>-report.timer` with its oneshot service; a changed commit or unit
 * restarts the app through a handler that waits for it to answer.
 *
 * @example
 * group('all').use(gitApp, { repo: 'https://example.org/hello.git', version: 'v1.0.0' })
 */
export const gitApp = recipe('gitApp', (t: Target, params: GitAppParams) => {
  const repo = required(params, 'repo', "the app's git repository URL");
  const name = params.name ?? 'hello';
  const port = params.port ?? 8000;
  const dir = `/opt/${name}`;
  const state = `/var/lib/${name}`;
  const restart = `restart ${name}`;

  t.handler(restart, (h) => h
    .service(`${name}.service`, { state: 'restarted' })
    .waitFor({ port, path: '/', timeout: 20, name: `${name} answers after the restart` }));

  t.apt(['git', 'python3'], { updateCache: true, cacheValidTime: 3600 })
    .group(name, { system: true })
    .user(name, { system: true, group: name, shell: '/usr/sbin/nologin', createHome: false })
    .file(state, { state: 'directory', owner: name, group: name, mode: 0o755 })
    .git(repo, dir, { version: params.version ?? 'main', notify: restart })
    .systemdUnit(`${name}.service`, {
      content: [
        '[Unit]', `Description=${name}, deployed from git`, 'After=network.target', '',
        '[Service]', `User=${name}`, `Environment=PORT=${port}`, `ExecStart=/usr/bin/python3 ${dir}/app.py`, 'Restart=on-failure', '',
        '[Install]', 'WantedBy=multi-user.target', '',
      ].join('\n'),
      enabled: true, state: 'started', notify: restart,
    })
    .systemdUnit(`${name}-report.service`, {
      content: [
        '[Unit]', `Description=${name}: record the deployed commit`, '',
        '[Service]', 'Type=oneshot', `User=${name}`, `ExecStart=/usr/bin/python3 ${dir}/report.py ${state}/report.txt`, '',
      ].join('\n'),
    })
    .systemdUnit(`${name}-report.timer`, {
      content: [
        '[Unit]', `Description=${name}: run the report job`, '',
        '[Timer]', `OnCalendar=${params.reportEvery ?? '*:0/15'}`, 'Persistent=true', '',
        '[Install]', 'WantedBy=timers.target', '',
      ].join('\n'),
      enabled: true, state: 'started',
    })
    .flushHandlers()
    .waitFor({ port, path: '/', timeout: 20, name: `${name} answers on port ${port}` });
});
