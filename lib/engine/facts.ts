import { ShipshapeError } from '../errors.js';
import { FACT_GROUPS, type ExtendedFacts, type FactGroup } from '../ops/fact-types.js';
import type { Facts } from '../ops/types.js';
import { parseNetwork } from './facts-network.js';
import { BASE_PROBE, splitProbe } from './facts-probe.js';
import { parseGroups, parseMemory, parseMounts, parsePackages, parsePartitions, parsePasswd, parsePython, serviceManagerOf } from './facts-system.js';

export { factsProbe } from './facts-probe.js';

/** Probe script for the base facts; its output is parsed by {@link parseFacts}. See `factsProbe` for the extended groups. */
export const FACTS_PROBE = BASE_PROBE;

type Sections = ReadonlyMap<string, string[]>;

const PARSERS: { [G in FactGroup]: (s: Sections) => ExtendedFacts[G] } = {
  memory: (s) => parseMemory(s.get('memory/meminfo') ?? []),
  network: parseNetwork,
  mounts: (s) => parseMounts(s.get('mounts/df') ?? [], s.get('mounts/proc-mounts') ?? []),
  blockDevices: (s) => parsePartitions(s.get('blockDevices/partitions') ?? []),
  packages: (s) => parsePackages(s.get('packages/dpkg') ?? [], s.get('packages/rpm') ?? []),
  users: (s) => parsePasswd(s.get('users/passwd') ?? []),
  groups: (s) => parseGroups(s.get('groups/group') ?? []),
  python: (s) => parsePython(s.get('python/python') ?? []),
};

/**
 * Reads the output of `factsProbe(groups)` into the facts `when` callbacks receive. A group
 * the probe was not asked for throws when read, naming `host` and the group (see
 * {@link withFacts}): it never reads as empty or zero. A group whose commands printed nothing
 * is empty (`{}`, `[]`, 0, '').
 *
 * @example
 * parseFacts('hostname=web-01\ninit=sysvinit\ncpus=2\n', {}).cpus   // 2
 */
export function parseFacts(stdout: string, vars: Record<string, unknown>, host = 'the host'): Facts {
  const { kv, has, groups, sections } = splitProbe(stdout);
  const init = kv.get('init') === 'systemd' ? 'systemd' : 'sysvinit';
  const gathered: Partial<ExtendedFacts> = {};
  for (const g of FACT_GROUPS) if (groups.has(g)) (gathered as Record<FactGroup, unknown>)[g] = PARSERS[g](sections);
  return withFacts({
    hostname: kv.get('hostname') ?? '',
    os: { id: kv.get('os_id') ?? 'unknown', versionId: kv.get('os_version') ?? '', codename: kv.get('os_codename') ?? '' },
    arch: kv.get('arch') ?? '',
    init,
    serviceManager: serviceManagerOf(kv.get('pid1') ?? '', has, init),
    cpus: Number(kv.get('cpus')) || 1,
    user: kv.get('user') ?? '',
    vars,
  }, gathered, host);
}

/** The facts that are always there: all but the extended groups. */
export type BaseFacts = Omit<Facts, keyof ExtendedFacts>;

/**
 * Facts made of the base facts and the extended groups given; each group not given is a
 * getter that throws, naming `host` and the group (not enumerable: printing or spreading the
 * facts does not trip over it).
 *
 * @example
 * withFacts({ hostname: 'web-01', os: { id: 'debian', versionId: '12', codename: 'bookworm' }, arch: 'x86_64', init: 'systemd', serviceManager: 'systemd', cpus: 2, user: 'root', vars: {} }, {}, 'web-01').memory
 * // throws: facts.memory was not gathered on web-01
 */
export function withFacts(base: BaseFacts, groups: Partial<ExtendedFacts> = {}, host = 'the host'): Facts {
  const facts = { ...base } as Facts;
  for (const g of FACT_GROUPS) {
    if (groups[g] !== undefined) Object.defineProperty(facts, g, { value: groups[g], enumerable: true });
    else Object.defineProperty(facts, g, { enumerable: false, get: () => { throw notGathered(host, g); } });
  }
  return facts;
}

function notGathered(host: string, group: FactGroup): ShipshapeError {
  return new ShipshapeError(`facts.${group} was not gathered on ${host}`, {
    host: host === 'the host' ? undefined : host,
    fix: `the extended facts are gathered for a host when one of its tasks has a when, or a template names facts.${group}; `
      + 'code that reads facts some other way (an op of your own) should read them in a when',
  });
}
