/**
 * What a virtual environment has installed, read from its site-packages folder names as plain
 * shell: no interpreter is started to find out that nothing changed. Layouts where those
 * names would not say what `pip list` says fall back to `pip list`.
 */
import { quote } from '../transport/quote.js';
import { normalizeName } from './pip-requirements.js';

/** The probe's verdict: no venv, pip failed (fallback only), or name → installed versions. */
export type Installed =
  | { kind: 'novenv' }
  | { kind: 'broken' }
  | { kind: 'listed'; versions: Map<string, string[]>; by: 'site-packages' | 'pip list' };

const PIP_LIST = '-m pip list --format=freeze --disable-pip-version-check';

/**
 * Shell that prints `novenv`, or `listing` and one line per distribution, or (fallback) `pip
 * list` in freeze format and `rc=N`. The folder names are used when the venv has exactly one
 * `lib/python3*\/site-packages`, a `pyvenv.cfg` that does not include the system
 * site-packages, no separate `lib64`, and no `.egg-link` (a legacy editable install lives
 * elsewhere): then they are what pip sees. A `*.dist-info` name with exactly one `-` between
 * safe characters says name and version; any other (and every `*.egg-info`) has its
 * `METADATA`/`PKG-INFO` headers read with sed.
 *
 * @example
 * installedProbe('/opt/webapp/venv')   // "v=/opt/webapp/venv; set -- \"$v\"/lib/python3*\/site-packages; …"
 */
export function installedProbe(venv: string): string {
  return [
    `v=${quote(venv)}; set -- "$v"/lib/python3*/site-packages; s=$1`,
    'if [ ! -x "$v/bin/python" ]; then echo novenv',
    // `set --` again: a match of *.egg-link makes $1 an existing path.
    'elif [ $# -eq 1 ] && [ -d "$s" ] && [ -f "$v/pyvenv.cfg" ] && { [ ! -d "$v/lib64" ] || [ -L "$v/lib64" ]; }'
      + " && ! grep -qiE '^[[:space:]]*include-system-site-packages[[:space:]]*=[[:space:]]*true[[:space:]]*$' \"$v/pyvenv.cfg\""
      + ' && set -- "$s"/*.egg-link && [ ! -e "$1" ]; then',
    '  echo listing',
    '  for d in "$s"/*.dist-info "$s"/*.egg-info; do',
    '    [ -e "$d" ] || continue; n=${d##*/}',
    // A name with one `-` says it all; else (and for every egg-info) the metadata is read.
    '    case ${n%.dist-info} in "$n"|*[!A-Za-z0-9._+!-]*|*-*-*|-*|*-) ;; *-*) echo "dist $n"; continue ;; esac',
    '    if [ -d "$d" ]; then f="$d/METADATA"; [ -f "$f" ] || f="$d/PKG-INFO"; else f=$d; fi',
    "    echo meta; sed -n -e '/^[[:space:]]*$/q' -e 's/^Name:[[:space:]]*/name /p' -e 's/^Version:[[:space:]]*/version /p' \"$f\" 2>/dev/null",
    '  done',
    `else "$v/bin/python" ${PIP_LIST} 2>/dev/null; echo "rc=$?"; fi`,
  ].join('\n');
}

function add(out: Map<string, string[]>, name: string, version: string): void {
  if (!/^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/.test(name) || !version) return;
  const n = normalizeName(name);
  const have = out.get(n) ?? [];
  if (!have.includes(version)) out.set(n, [...have, version]);
}

/**
 * Reads what {@link installedProbe} printed. A name listed twice with different versions (a
 * half-done uninstall) keeps both: only a requirement both satisfy is met.
 *
 * @example
 * parseInstalled('listing\ndist Flask_Cors-4.0.1.dist-info\n')   // { kind: 'listed', versions: Map { 'flask-cors' => ['4.0.1'] }, by: 'site-packages' }
 */
export function parseInstalled(text: string): Installed {
  const lines = text.split('\n');
  const first = (lines[0] ?? '').trim();
  if (first === 'novenv') return { kind: 'novenv' };
  const versions = new Map<string, string[]>();
  if (first !== 'listing') {
    if (lines.some((l) => /^rc=[1-9]/.test(l.trim()))) return { kind: 'broken' };
    for (const line of lines) {
      const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)$/.exec(line.trim());
      if (m) add(versions, m[1]!, m[2]!);
    }
    return { kind: 'listed', versions, by: 'pip list' };
  }
  let name: string | undefined;
  for (const line of lines.slice(1)) {
    if (line.startsWith('dist ')) {
      const stem = line.slice(5).replace(/\.dist-info$/, '');
      const dash = stem.indexOf('-');
      add(versions, stem.slice(0, dash), stem.slice(dash + 1));
    } else if (line === 'meta') name = undefined;
    else if (line.startsWith('name ')) name = line.slice(5).trim();
    // Name comes before Version in core metadata.
    else if (line.startsWith('version ') && name !== undefined) { add(versions, name, line.slice(8).trim()); name = undefined; }
  }
  return { kind: 'listed', versions, by: 'site-packages' };
}
