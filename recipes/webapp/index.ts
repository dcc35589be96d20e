/**
 * The seed tutorial's deployment as one recipe: a Python WSGI app under gunicorn and
 * supervisord, behind nginx. With default params a host ends up with the seed's files, at
 * the seed's paths, with the seed's contents; see README.md for the deliberate differences.
 */
import { paramsFor, recipe, type ParamKeys, type Target } from '../../lib/index.js';
import {
  NGINX_PROXY_SITE_PARAMS, NGINX_SERVER_PARAMS, nginxProxySite, nginxServer, resolveNginxProxySite, resolveNginxServer,
  type NginxServerParams, type NginxProxySiteParams,
} from '../nginx/index.js';
import { PYTHON_APP_PARAMS, pythonApp, resolvePythonApp, type PythonAppParams } from '../python-app/index.js';

/**
 * Everything is optional; the defaults reproduce the seed. `port` is both gunicorn's port
 * and the one nginx proxies to.
 */
export type WebappParams = PythonAppParams & NginxServerParams & Omit<NginxProxySiteParams, 'port'>;

/** Every param of {@link webapp}: those of the recipes it is made of. */
export const WEBAPP_PARAMS: ParamKeys<WebappParams> = { ...NGINX_SERVER_PARAMS, ...PYTHON_APP_PARAMS, ...NGINX_PROXY_SITE_PARAMS };

/**
 * Checks all params at once, so a bad value is reported at the user's `use()` line before
 * anything is added.
 */
export function resolveWebapp(params: WebappParams = {}) {
  const app = resolvePythonApp(params);
  const server = resolveNginxServer(params);
  const site = resolveNginxProxySite({ ...params, port: app.port });
  return { app, server, site };
}

/**
 * nginx (package, nginx.conf, site folders, started), the Python app (venv, code,
 * requirements, gunicorn config, supervisor program), then the server block proxying to
 * it: the seed playbook's order.
 *
 * @example
 * group('webservers').use(webapp, { appDir: '/opt/webapp', owner: 'www-data', group: 'www-data' })
 */
export const webapp = recipe('webapp', (t: Target, params: WebappParams = {}) => {
  const { app } = resolveWebapp(params);
  // Each part gets only its own params: they check their keys too.
  t.use(nginxServer, paramsFor(nginxServer, params))
    .use(pythonApp, paramsFor(pythonApp, params))
    .use(nginxProxySite, { ...paramsFor(nginxProxySite, params), port: app.port });
}, { params: WEBAPP_PARAMS });
