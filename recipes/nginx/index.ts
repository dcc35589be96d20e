/**
 * nginx as the seed tutorial sets it up: the package, its nginx.conf, sites-available and
 * sites-enabled, and one reverse-proxy server block. Config changes reload nginx through a
 * handler that runs `nginx -t` first, so a broken config fails the run and the old config
 * keeps serving.
 */
import { paramsFor, recipe, ShipshapeError, type ParamKeys, type Target } from '../../lib/index.js';
import { fileTaskName, localPath, recipeFile, requiredInt, requiredLine, requiredMatch, withDefaults } from '../params.js';

/** The handler every nginx config change notifies. */
export const RELOAD_NGINX = 'reload nginx';

export interface NginxServerParams {
  /** nginx.conf `worker_processes`: a number or `'auto'` (default `'auto'`, as the seed). */
  workerProcesses?: number | 'auto';
  /** nginx.conf `worker_connections` (default 1024, as the seed). */
  workerConnections?: number;
  /** A custom nginx.conf template (mustache) instead of the seed's; gets the same vars. */
  confTemplate?: string | URL | { inline: string };
}

export interface NginxProxySiteParams {
  /** File name in sites-available/sites-enabled; must end in `.conf` (default `app-nginx.conf`). */
  site?: string;
  /** The port of the app nginx proxies `/` to, on localhost (default 5000). */
  port?: number;
  /** The server block's `listen` (default 80). */
  listen?: number | string;
  /** A `server_name` line; none by default, as in the seed. */
  serverName?: string;
  /** The seed's `/content` location serving files from `contentRoot` (default true). */
  content?: boolean;
  /** Root of the `/content` location (default `/vagrant/content`, as the seed). */
  contentRoot?: string;
  /**
   * A custom server block template (mustache) instead of the seed's. It gets the vars
   * `listen`, `serverName`, `content`, `contentRoot` and `port`.
   */
  siteTemplate?: string | URL | { inline: string };
  /**
   * The health check that ends the recipe and follows every reload of this site's config:
   * `GET <healthPath>` through nginx on the `listen` port (with `serverName` as Host) must get
   * a status below 500 (default `/`), so a 502 from a dead app fails the run with the tail of
   * nginx's error log. An `ssl` listen is only checked to accept connections. `false` turns
   * it off. In the webapp recipe the app's check uses the same path.
   */
  healthPath?: string | false;
  /** Seconds the site has to answer (default 30). */
  healthTimeout?: number;
}

export type NginxSiteParams = NginxServerParams & NginxProxySiteParams;

/** Every param of {@link nginxServer}: `use()` reports any other key. */
export const NGINX_SERVER_PARAMS: ParamKeys<NginxServerParams> = { workerProcesses: true, workerConnections: true, confTemplate: true };

/** Every param of {@link nginxProxySite}. */
export const NGINX_PROXY_SITE_PARAMS: ParamKeys<NginxProxySiteParams> = {
  site: true, port: true, listen: true, serverName: true, content: true, contentRoot: true, siteTemplate: true, healthPath: true, healthTimeout: true,
};

const SERVER_DEFAULTS = { workerProcesses: 'auto' as number | 'auto', workerConnections: 1024 };
const SITE_DEFAULTS = {
  site: 'app-nginx.conf', port: 5000, listen: 80 as number | string, content: true, contentRoot: '/vagrant/content', healthPath: '/' as string | false, healthTimeout: 30,
};

const templateSrc = (t: string | URL | { inline: string }) => (typeof t === 'object' && !(t instanceof URL) ? t : localPath(t));

/**
 * Declares the reload handler: `nginx -t` (its error fails the run, and nothing is
 * reloaded), then a reload. Declared by both recipes: identical declarations of a handler are one handler.
 *
 * @example
 * declareReloadHandler(group('web'));
 */
export function declareReloadHandler(t: Target): void {
  t.handler(RELOAD_NGINX, (h) => h
    .command(['nginx', '-t'], { name: 'check the nginx config (nginx -t)' })
    .service('nginx', { state: 'reloaded', name: 'reload nginx' }));
}

/** Checks nginx server params and fills in defaults. */
export function resolveNginxServer(params: NginxServerParams = {}) {
  const p = withDefaults(params, SERVER_DEFAULTS);
  const wp = p.workerProcesses;
  if (wp !== 'auto' && !(typeof wp === 'number' && Number.isInteger(wp) && wp > 0)) {
    throw new ShipshapeError(`param workerProcesses ${JSON.stringify(wp)} must be 'auto' or a positive whole number`, { fix: "pass workerProcesses: 'auto' or a number" });
  }
  const workerConnections = requiredInt(p, 'workerConnections', 'nginx worker_connections, like 1024', 1, 1_000_000, 'nginxServer');
  return { workerProcesses: wp, workerConnections, confTemplate: p.confTemplate };
}

/** Checks server block params and fills in defaults. */
export function resolveNginxProxySite(params: NginxProxySiteParams = {}) {
  const p = withDefaults(params, SITE_DEFAULTS);
  const site = requiredMatch(p, 'site', "the server block's file name, like app-nginx.conf", /^[A-Za-z0-9][A-Za-z0-9._-]*\.conf$/, 'nginxSite');
  const port = requiredInt(p, 'port', 'the port the app listens on, like 5000', 1, 65535, 'nginxSite');
  const listen = typeof p.listen === 'number'
    ? requiredInt(p, 'listen', 'the port nginx listens on, like 80', 1, 65535, 'nginxSite')
    : requiredLine(p, 'listen', "nginx's listen value, like 80 or '[::]:80'", 'nginxSite');
  const serverName = p.serverName === undefined ? undefined : requiredLine(p, 'serverName', 'a server name, like example.com', 'nginxSite');
  const contentRoot = requiredLine(p, 'contentRoot', 'the root of the /content location', 'nginxSite');
  const healthPath = p.healthPath === false ? undefined : requiredMatch(p, 'healthPath', 'the path the health check gets, like / or /health (or false)', /^\/[\x21-\x7e]*$/, 'nginxSite');
  const healthTimeout = requiredInt(p, 'healthTimeout', 'the seconds the site has to answer, like 30', 1, 3600, 'nginxSite');
  return {
    site, port, listen, serverName, content: p.content !== false, contentRoot, siteTemplate: p.siteTemplate,
    health: healthPath === undefined ? undefined : siteHealthCheckOf(listen, serverName), healthPath: healthPath ?? '/', healthTimeout,
  };
}

/** The handler that checks a site once nginx has reloaded its new config. */
export const checkSiteHandler = (site: string) => `check nginx site ${site}`;

/**
 * Where a server block's health check connects, from its `listen`: loopback for a wildcard
 * address, the first plain `serverName` as Host, HTTP unless the listen is `ssl`; undefined
 * for a unix socket or a listen it cannot read.
 *
 * @example
 * siteHealthCheckOf('[::]:8080 default_server', 'example.org')   // { host: '::1', port: 8080, http: true, hostHeader: 'example.org:8080' }
 */
export function siteHealthCheckOf(listen: number | string, serverName?: string) {
  const [first = '', ...flags] = String(listen).trim().split(/\s+/);
  const m = /^(?:(?:\[([^\]]+)\]|([^:\s[\]]+)):)?(\d{1,5})$/.exec(first) ?? /^()(\d+\.\d+\.\d+\.\d+)()$/.exec(first);
  if (!m) return undefined;
  const addr = m[1] || m[2] || '';
  const port = m[3] ? Number(m[3]) : 80;
  if (port < 1 || port > 65535) return undefined;
  const host = addr === '' || addr === '*' || addr === '0.0.0.0' ? '127.0.0.1' : addr === '::' ? '::1' : addr;
  const name = serverName?.trim().split(/\s+/)[0];
  const hostHeader = name && /^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$/.test(name) ? (port === 80 ? name : `${name}:${port}`) : undefined;
  return { host, port, http: !flags.includes('ssl') && !flags.includes('quic'), hostHeader };
}

type ResolvedSite = ReturnType<typeof resolveNginxProxySite>;

/** The site answers through nginx (a 502 from a dead app fails), else the error shows nginx's log. */
function waitForSite(t: Target, p: ResolvedSite, message: string): void {
  if (!p.health) return;
  const { host, port, http, hostHeader } = p.health;
  t.waitFor({
    port, host, ...(http ? { path: p.healthPath, ...(hostHeader ? { hostHeader } : {}) } : {}),
    timeout: p.healthTimeout, logFile: '/var/log/nginx/error.log', message, name: `site ${p.site} answers on port ${port}`,
  });
}

/**
 * nginx installed (package lists refreshed when older than an hour), the seed's nginx.conf,
 * sites-available and sites-enabled, nginx started and enabled at boot.
 *
 * @example
 * group('web').use(nginxServer, { workerConnections: 2048 })
 */
export const nginxServer = recipe('nginxServer', (t: Target, params: NginxServerParams = {}) => {
  const p = resolveNginxServer(params);
  declareReloadHandler(t);
  const root = { owner: 'root', group: 'root' };
  const conf = p.confTemplate ? templateSrc(p.confTemplate) : recipeFile(import.meta.url, 'nginx.conf.mustache');
  t.apt(['nginx'], { updateCache: true, cacheValidTime: 3600 })
    .template(conf, '/etc/nginx/nginx.conf', {
      ...root, mode: 0o644, vars: { workerProcesses: p.workerProcesses, workerConnections: p.workerConnections }, notify: RELOAD_NGINX,
      name: fileTaskName('template', conf, '/etc/nginx/nginx.conf'),
    })
    .file('/etc/nginx/sites-available', { state: 'directory', ...root, mode: 0o755 })
    .file('/etc/nginx/sites-enabled', { state: 'directory', ...root, mode: 0o755 })
    .service('nginx', { state: 'started', enabled: true });
}, { params: NGINX_SERVER_PARAMS });

/**
 * One server block proxying `/` to an app on localhost, in sites-available and linked from
 * sites-enabled, then a health check: the site answers through nginx with a status below
 * 500, after the reload too. Needs nginx set up as {@link nginxServer} does.
 *
 * @example
 * group('web').use(nginxProxySite, { port: 5000, serverName: 'example.com' })
 */
export const nginxProxySite = recipe('nginxProxySite', (t: Target, params: NginxProxySiteParams = {}) => {
  const p = resolveNginxProxySite(params);
  declareReloadHandler(t);
  // The reload runs as a handler, after this recipe's tasks: the check follows it there too.
  const check = checkSiteHandler(p.site);
  if (p.health) {
    t.handler(check, (h) => waitForSite(h, p,
      `nginx reloaded the new config of site ${p.site}, which is on the host now, but the site is not serving (a 502 means the app behind it is down): fix it and run again`));
  }
  const notify = p.health ? [RELOAD_NGINX, check] : RELOAD_NGINX;
  const available = `/etc/nginx/sites-available/${p.site}`;
  const src = p.siteTemplate ? templateSrc(p.siteTemplate) : recipeFile(import.meta.url, 'app-nginx.conf.mustache');
  t.template(src, available, {
    owner: 'root', group: 'root', mode: 0o644, notify, name: fileTaskName('template', src, available),
    vars: { listen: p.listen, serverName: p.serverName ?? false, content: p.content, contentRoot: p.contentRoot, port: p.port },
  })
    .file(`/etc/nginx/sites-enabled/${p.site}`, { state: 'link', target: available, notify });
  // The reload happens before the final check, so a changed listen port is checked after it.
  if (p.health) t.flushHandlers({ handlers: [RELOAD_NGINX, check], name: `reload nginx now if its config changed` });
  waitForSite(t, p, `site ${p.site} is not serving through nginx (a 502 means the app behind it is down)`);
}, { params: NGINX_PROXY_SITE_PARAMS });

/**
 * nginx with one reverse-proxy site: {@link nginxServer} then {@link nginxProxySite}.
 *
 * @example
 * host('web-01').use(nginxSite, { port: 8000, serverName: 'example.com' })
 */
export const nginxSite = recipe('nginxSite', (t: Target, params: NginxSiteParams = {}) => {
  resolveNginxServer(params);
  resolveNginxProxySite(params);
  t.use(nginxServer, paramsFor(nginxServer, params)).use(nginxProxySite, paramsFor(nginxProxySite, params));
}, { params: { ...NGINX_SERVER_PARAMS, ...NGINX_PROXY_SITE_PARAMS } });
