import { captureCallSite } from './call-site.js';
import { ShipshapeError, type CallSite } from '../errors.js';
import type { Become } from '../transport/types.js';
import type { CommonOptions, TaskSpec } from '../ops/types.js';
import type { AptArgs } from '../ops/apt.js';
import type { FileArgs } from '../ops/file.js';
import type { CopyArgs } from '../ops/copy.js';
import type { TemplateArgs } from '../ops/template.js';
import type { ShellArgs } from '../ops/shell.js';
import type { CommandArgs } from '../ops/command.js';
import type { ServiceArgs } from '../ops/service.js';
import type { UserArgs } from '../ops/user.js';
import type { GroupArgs } from '../ops/group.js';
import type { VenvArgs } from '../ops/venv.js';
import type { PipArgs } from '../ops/pip.js';
import type { LineArgs } from '../ops/line.js';
import type { WaitForArgs } from '../ops/wait-for.js';
import type { SystemdUnitArgs } from '../ops/systemd-unit.js';
import type { GitArgs } from '../ops/git.js';
import type { DownloadArgs } from '../ops/download.js';
import type { UnarchiveArgs } from '../ops/unarchive.js';
import type { AptRepositoryArgs } from '../ops/apt-repository.js';
import type { CronArgs } from '../ops/cron.js';
import type { SysctlArgs } from '../ops/sysctl.js';
import type { AuthorizedKeyArgs } from '../ops/authorized-key.js';
import type { SyncArgs } from '../ops/sync.js';
import type { RebootArgs } from '../ops/reboot.js';
import { paramProblems, type Recipe } from './recipe.js';
import { tagList, tagNameProblem } from '../plan/tags.js';

/** An operation as a target records it: its place in deploy.ts order and its task. */
export interface OpEntry {
  seq: number;
  task: TaskSpec;
  target: Target;
}

export interface HandlerDecl {
  seq: number;
  name: string;
  ops: OpEntry[];
  /** Its own tags and those of the use() calls it was declared in: --skip-tags naming one keeps it from running. */
  tags: string[];
  callSite?: CallSite;
  target: Target;
}

/** Problems found while building (a recipe that threw): reported by deploy() with the rest. */
export interface BuildProblem {
  message: string;
  callSite?: CallSite;
  target: string;
}

/** What a Target needs from the project that owns it. */
export interface TargetOwner {
  nextSeq(): number;
  problems: BuildProblem[];
  /** The variables of a host or group target, from the inventory (and code), when asked. */
  varsOf?(t: Target): Record<string, unknown>;
}

type Opts<A, K extends keyof A = never> = Omit<A, K> & CommonOptions;

/**
 * A builder for one host, one group, or one handler: each method appends an operation and
 * returns the target, so calls chain. Operations run in the order they were written.
 *
 * @example
 * host('web-01').apt(['nginx']).service('nginx', { state: 'started', enabled: true })
 */
export class Target {
  /** @internal */ readonly ops: OpEntry[] = [];
  /** @internal */ readonly handlers: HandlerDecl[] = [];
  /** @internal */ readonly afters: { target: Target; callSite?: CallSite }[] = [];
  /** @internal */ defaultBecome?: Become;
  /** @internal Recipes whose use() failed: their handlers are missing, so notify errors would only follow from that. */
  readonly failedRecipes: string[] = [];
  /** @internal Tags of the use() calls being applied (nested ones add theirs): every operation declared meanwhile gets them. */
  private inheritedTags: string[] = [];

  constructor(
    /** @internal */ readonly owner: TargetOwner,
    readonly kind: 'host' | 'group' | 'handler',
    readonly name: string,
  ) {}

  /**
   * The target's variables, read when asked (so load the inventory before): a host's are
   * merged from every level of the inventory, then `host(name, { vars })`; a group's are its
   * own over its parents' (group_vars/ included). An object you may read, not a live view.
   * @example recipe('app', (t) => t.file('/etc/app.env', { content: `PORT=${t.vars.http_port}\n` }))
   */
  get vars(): Record<string, unknown> {
    return this.owner.varsOf?.(this) ?? {};
  }

  /** @internal */
  add(kind: string, args: object, options: CommonOptions): this {
    const callSite = captureCallSite();
    const { notify, supersedes, when, become, name, tags: own, retries, delay, until, ...rest } = options as CommonOptions & Record<string, unknown>;
    if (own !== undefined && this.kind === 'handler') {
      this.problem(`${kind}(): tags on an operation of a handler select nothing (handlers run when notified); give them to the handler: .handler(name, fn, { tags })`, callSite);
    }
    const tags = [...new Set([...this.inheritedTags, ...this.validTags(own, `${kind}()`, callSite)])];
    this.ops.push({
      seq: this.owner.nextSeq(),
      task: { kind, args: { ...(args as object), ...rest }, options: { notify, ...(supersedes === undefined ? {} : { supersedes }), when, become, name, ...(tags.length ? { tags } : {}), retries, delay, until }, callSite },
      target: this,
    });
    return this;
  }

  private problem(message: string, callSite?: CallSite): void {
    this.owner.problems.push({ message, callSite, target: this.name });
  }

  /** The tags that are plain words; each other one is a problem at the call site. */
  private validTags(tags: unknown, where: string, callSite?: CallSite): string[] {
    return tagList(tags).filter((t): t is string => {
      const p = tagNameProblem(t);
      if (p) this.problem(`${where}: ${p}`, callSite);
      return !p;
    });
  }

  /**
   * Packages installed, removed or upgraded with apt-get.
   * @example host('web-01').apt(['nginx', 'supervisor'], { updateCache: true, cacheValidTime: 3600 })
   */
  apt(packages: string | string[], opts: Opts<AptArgs, 'packages'> = {}): this {
    return this.add('apt', { packages: typeof packages === 'string' ? [packages] : packages }, opts);
  }

  /**
   * A path's state: file content, directory, symlink or absence, with owner, group and mode.
   * @example host('web-01').file('/etc/motd', { content: 'managed by shipshape\n', mode: 0o644 })
   */
  file(path: string, opts: Opts<FileArgs, 'path'> = {}): this {
    return this.add('file', { path }, opts);
  }

  /**
   * A local file or directory copied to the host; files are compared by sha256.
   * @example host('web-01').copy('code/app.py', '/opt/webapp/app.py', { owner: 'vagrant', mode: 0o644 })
   */
  copy(src: string, dest: string, opts: Opts<CopyArgs, 'src' | 'dest'> = {}): this {
    return this.add('copy', { src, dest }, opts);
  }

  /**
   * A mustache template rendered (no HTML escaping) and written to the host. A variable the
   * template uses and `vars` does not give is a plan error.
   * @example host('web-01').template('files/app.conf.mustache', '/etc/app.conf', { vars: { port: 5000 } })
   */
  template(src: string | { inline: string }, dest: string, opts: Opts<TemplateArgs, 'src' | 'dest'> = {}): this {
    return this.add('template', { src, dest }, opts);
  }

  /**
   * A shell command. Without `creates`, `removes` or `unless` it runs every time.
   * @example host('web-01').shell('python3 -m venv /opt/x/venv', { creates: '/opt/x/venv/bin/activate' })
   */
  shell(command: string, opts: Opts<ShellArgs, 'command'> = {}): this {
    return this.add('shell', { command }, opts);
  }

  /**
   * A command given as an argv array, each word quoted.
   * @example host('web-01').command(['supervisorctl', 'restart', 'app'])
   */
  command(argv: string[], opts: Opts<CommandArgs, 'argv'> = {}): this {
    return this.add('command', { argv }, opts);
  }

  /**
   * A service's state (systemd or sysvinit, detected on the host).
   * @example host('web-01').service('nginx', { state: 'started', enabled: true })
   */
  service(name: string, opts: Opts<ServiceArgs, 'name'> = {}): this {
    return this.add('service', { name }, opts);
  }

  /**
   * A Unix user account.
   * @example host('web-01').user('www', { system: true, shell: '/usr/sbin/nologin' })
   */
  user(name: string, opts: Opts<UserArgs, 'name'> = {}): this {
    return this.add('user', { name }, opts);
  }

  /**
   * A Unix group.
   * @example host('web-01').group('www', { system: true })
   */
  group(name: string, opts: Opts<GroupArgs, 'name'> = {}): this {
    return this.add('group', { name }, opts);
  }

  /**
   * A Python virtual environment, created only when missing.
   * @example host('web-01').venv('/opt/webapp/venv', { owner: 'vagrant' })
   */
  venv(path: string, opts: Opts<VenvArgs, 'path'> = {}): this {
    return this.add('venv', { path }, opts);
  }

  /**
   * Python packages in a virtual environment, from a list or a requirements file.
   * @example host('web-01').pip({ venv: '/opt/webapp/venv', requirements: '/opt/webapp/requirements.txt' })
   */
  pip(opts: Opts<PipArgs>): this {
    return this.add('pip', {}, opts);
  }

  /**
   * One line in a file: present (replacing lines that match `regexp`) or absent.
   * @example host('web-01').line('/etc/hosts', { line: '10.0.0.5 db', regexp: '\\sdb$' })
   */
  line(path: string, opts: Opts<LineArgs, 'path'>): this {
    return this.add('line', { path }, opts);
  }

  /**
   * Waits until a port accepts connections, answers HTTP (with `path`, or an http:// `url`),
   * or a command exits 0; fails after `timeout` seconds with the tail of `logFile`.
   * @example host('web-01').waitFor({ port: 5000, path: '/', timeout: 30, logFile: '/var/log/gunicorn-error.log' })
   * @example host('web-01').waitFor({ url: 'http://127.0.0.1:5000/health', status: 200 })
   */
  waitFor(opts: Opts<WaitForArgs>): this {
    return this.add('waitFor', {}, opts);
  }

  /**
   * A systemd unit file (service, timer, socket, path, mount, ... or a drop-in
   * `name.service.d/x.conf`, its folder created) written atomically under /etc/systemd/system
   * from one of `content`, `src` or `template` + `vars`. When any unit changed, the host gets one
   * `systemctl daemon-reload`, before the next systemctl start/enable/restart (of a systemdUnit
   * or service task) or at the end of its tasks. Then enable/start as asked: `state: 'started'`
   * does not restart a running unit whose file changed (as Ansible); `'restarted'` does (and does
   * nothing when the unit did not change). Fails on a host without systemd.
   * @example host('web-01').systemdUnit('webapp.service', { src: 'files/webapp.service', enabled: true, state: 'restarted' })
   */
  systemdUnit(name: string, opts: Opts<SystemdUnitArgs, 'name'> = {}): this {
    return this.add('systemdUnit', { name }, opts);
  }

  /**
   * A git work tree on the host, cloned or updated to a branch, tag or commit (default: the
   * remote's HEAD). The probe resolves the wanted commit with `git ls-remote` (none for a full
   * 40-digit commit), so a tree already there costs no fetch; a change reads `commit <old> → <new>`.
   * With `owner`, git runs as that user (sudo -u) and the tree is theirs; `depth` makes shallow
   * clones and fetches; `keyFile` is the host's SSH key for ssh:// repositories. An update over
   * local modifications of tracked files fails unless `force: true` discards them. Needs git on
   * the host (e.g. `.apt(['git'])` first).
   * @example host('web-01').git('https://example.org/app.git', '/opt/app', { version: 'v1.2.0', owner: 'www-data' })
   */
  git(repo: string, dest: string, opts: Opts<GitArgs, 'repo' | 'dest'> = {}): this {
    return this.add('git', { repo, dest }, opts);
  }

  /**
   * A file fetched over HTTP(S) by the host itself (curl, else wget) into a temp file next to
   * `dest`, checked against `sha256` when given (a mismatch fails and leaves nothing behind),
   * then renamed into place with its mode and owner. An existing dest whose sha256 matches is
   * not fetched again; without `sha256` an existing dest is left alone (like Ansible's get_url)
   * unless `force: true`. `headers` (values may be `secret()`) go over stdin, never shown.
   * @example host('web-01').download('https://example.org/tool.tar.gz', '/opt/tool.tar.gz', { sha256: 'e3b0...' })
   */
  download(url: string, dest: string, opts: Opts<DownloadArgs, 'url' | 'dest'> = {}): this {
    return this.add('download', { url, dest }, opts);
  }

  /**
   * A tar (gz, xz, zst) or zip archive extracted into a directory: a local file (relative to
   * the deploy file, uploaded) or with `remote: true` a path on the host. It is extracted into
   * a temp directory next to dest, then moved in. Without `creates`, a marker file
   * `.shipshape-unarchive-<id>` in dest records the archive's sha256: the same archive is not
   * extracted again, a changed one is. Needs tar/gzip, xz-utils, zstd or unzip on the host.
   * @example host('web-01').unarchive('/opt/app-1.0.tar.gz', '/opt/app', { remote: true, stripComponents: 1, owner: 'www-data' })
   * @example host('web-01').unarchive('files/site.tar.gz', '/srv/site', { creates: '/srv/site/index.html' })
   */
  unarchive(src: string, dest: string, opts: Opts<UnarchiveArgs, 'src' | 'dest'> = {}): this {
    return this.add('unarchive', { src, dest }, opts);
  }

  /**
   * An apt repository as a deb822 `.sources` file, with its signing key in /etc/apt/keyrings
   * (`.asc` when ASCII-armored, else `.gpg`) named by `Signed-By`. When either changed, one
   * `apt-get update` runs for the host (several repositories still cost one): before the next apt
   * install, which then sees the new packages, or at the end of the host's tasks. A repository
   * that cannot be fetched or verified (a wrong key) fails the run. `state: 'absent'` removes both.
   * @example host('web-01').aptRepository('example', { uris: 'https://example.org/debian', suites: 'bookworm', components: 'main', key: readFileSync('example.asc', 'utf8') })
   */
  aptRepository(name: string, opts: Opts<AptRepositoryArgs, 'name'>): this {
    return this.add('aptRepository', { name }, opts);
  }

  /**
   * A cron job in its own file, `/etc/cron.d/<name>` (root, 0644, a `# managed by shipshape`
   * header, then `<schedule> <user> <command>`); cron reads it without a reload. The name is
   * letters, digits, `_` and `-` (cron skips other names); the schedule is five fields or a
   * nickname like `@daily`; a literal `%` in the command is written `\%`. `state: 'absent'`
   * removes the file.
   * @example host('web-01').cron('backup', { schedule: '0 3 * * *', command: '/usr/local/bin/backup', user: 'vagrant' })
   */
  cron(name: string, opts: Opts<CronArgs, 'name'>): this {
    return this.add('cron', { name }, opts);
  }

  /**
   * A kernel parameter, set now (through /proc/sys) and, unless `persist: false`, kept in
   * `/etc/sysctl.d/99-shipshape-<key>.conf`. Values compare with whitespace normalised; a key
   * the host does not have fails the task.
   * @example host('web-01').sysctl('net.core.somaxconn', 1024)
   */
  sysctl(key: string, value: string | number, opts: Opts<SysctlArgs, 'key' | 'value'> = {}): this {
    return this.add('sysctl', { key, value: typeof value === 'number' ? String(value) : value }, opts);
  }

  /**
   * A public key in a user's `~/.ssh/authorized_keys` (the home from the host's passwd; `~/.ssh`
   * 0700 and the file 0600, the user's). A line with the same type and base64 is the same key:
   * its options are set as given, its comment only when one is given. Other lines are kept;
   * `state: 'absent'` removes the key's lines, `exclusive: true` every other key.
   * @example host('web-01').authorizedKey('vagrant', 'ssh-ed25519 AAAA... alice@laptop')
   */
  authorizedKey(user: string, key: string, opts: Opts<AuthorizedKeyArgs, 'user' | 'key'> = {}): this {
    return this.add('authorizedKey', { user, key }, opts);
  }

  /**
   * A local directory mirrored to the host, compared by sha256: new and changed files are
   * uploaded and renamed into place whole (more than 3 at once go as one tar stream), and
   * `delete: true` removes what left the source (with the folders that held only that). `exclude`
   * globs (relative to src) are neither uploaded nor deleted. `mode` is for files, `dirMode` for
   * directories, `owner`/`group` for both. Symlinks in src are followed. Each file is a change
   * (`+ path`, `~ path`, `- path`) for check mode and `--diff`.
   * @example host('web-01').sync('site/', '/srv/site', { delete: true, exclude: ['*.tmp'], owner: 'www-data' })
   */
  sync(src: string, dest: string, opts: Opts<SyncArgs, 'src' | 'dest'> = {}): this {
    return this.add('sync', { src, dest }, opts);
  }

  /**
   * Reboots the host and waits until it answers over SSH again.
   * @example host('web-01').reboot({ timeout: 120 })
   */
  reboot(opts: Opts<RebootArgs> = {}): this {
    return this.add('reboot', {}, opts);
  }

  /**
   * Runs the handlers queued so far at this point of the host's sequence, instead of after
   * its last operation (Ansible's `meta: flush_handlers`): a check that follows sees the
   * restarted service. A handler notified again later runs again at the end.
   * @example host('web-01').copy('app.py', '/opt/app/app.py', { notify: 'restart app' }).flushHandlers().waitFor({ port: 5000 })
   */
  flushHandlers(opts: { handlers?: string[] } & Pick<CommonOptions, 'name' | 'when' | 'tags'> = {}): this {
    if (this.kind === 'handler') throw new ShipshapeError('a handler cannot flush handlers');
    return this.add('flushHandlers', {}, opts);
  }

  /**
   * Runs every operation of this target with become (root by default), unless an operation
   * says otherwise.
   * @example group('webservers').become().apt(['nginx'])
   */
  become(b: Become = true): this {
    this.defaultBecome = b;
    return this;
  }

  /**
   * Applies a recipe to this target. `tags` go to every operation and handler the recipe
   * declares (and add to those of an enclosing use()).
   * @example group('webservers').use(webapp, { appDir: '/opt/webapp' }, { tags: ['webapp'] })
   */
  use<P>(recipe: Recipe<P>, params: P, opts: { tags?: string | string[] } = {}): this {
    const callSite = captureCallSite();
    const outerTags = this.inheritedTags;
    const fail = (message: string) => {
      this.failedRecipes.push(recipe.name);
      this.owner.problems.push({ message: `recipe ${recipe.name}: ${message}`, callSite, target: this.name });
    };
    // Unknown keys are checked first: a typo of a required param would otherwise also report it missing.
    const bad = paramProblems(recipe, params);
    if (bad.length) {
      for (const m of bad) fail(m);
      return this;
    }
    const before = { ops: this.ops.length, handlers: this.handlers.length, afters: this.afters.length };
    try {
      this.inheritedTags = [...new Set([...outerTags, ...this.validTags(opts.tags, `use(${recipe.name})`, callSite)])];
      recipe.apply(this, params);
    } catch (e) {
      // A recipe that failed adds nothing.
      this.ops.length = before.ops;
      this.handlers.length = before.handlers;
      this.afters.length = before.afters;
      const msg = e instanceof Error ? e.message : String(e);
      const fix = e instanceof ShipshapeError && e.fix ? ` (${e.fix})` : '';
      fail(`${msg}${fix}`);
    } finally {
      this.inheritedTags = outerTags;
    }
    return this;
  }

  /**
   * Makes this target's operations wait until `other`'s operations have finished on all of
   * its hosts.
   * @example group('webservers').after(group('databases'))
   */
  after(other: Target): this {
    if (this.kind === 'handler') throw new ShipshapeError('a handler cannot use after()');
    this.afters.push({ target: other, callSite: captureCallSite() });
    return this;
  }

  /**
   * Declares a handler: operations that run once, after the host's operations, when an
   * operation with `notify: name` changed something. `--tags` does not filter handlers (a
   * task that ran notifies them); `--skip-tags` naming one of its `tags` keeps it from running.
   * @example host('web-01').handler('reload nginx', (h) => h.service('nginx', { state: 'reloaded' }), { tags: ['restart'] })
   */
  handler(name: string, build: (h: Target) => void, opts: { tags?: string | string[] } = {}): this {
    if (this.kind === 'handler') throw new ShipshapeError('a handler cannot declare handlers');
    const h = new Target(this.owner, 'handler', name);
    h.defaultBecome = this.defaultBecome;
    const callSite = captureCallSite();
    const tags = [...new Set([...this.inheritedTags, ...this.validTags(opts.tags, `handler ${JSON.stringify(name)}`, callSite)])];
    try {
      build(h);
    } catch (e) {
      this.owner.problems.push({ message: `handler ${JSON.stringify(name)}: ${e instanceof Error ? e.message : String(e)}`, callSite, target: this.name });
    }
    this.handlers.push({ seq: this.owner.nextSeq(), name, ops: h.ops, tags, callSite, target: this });
    return this;
  }
}
