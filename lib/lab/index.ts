/** shipshape lab: local Debian test hosts from the seed's cluster.json (re-exports only). */
export { labUp, labDown, labStatus, labReset } from './lab.js';
export type { LabForward, LabHost, LabOptions, LabHostsOption } from './lab.js';
export { readCluster, parseCluster } from './cluster.js';
export type { ClusterNode, PortMapping, NetworkConfig } from './cluster.js';
export { hostMemory } from './memory.js';
export { forwardTo, guestUrl, getPage } from './web.js';
export { serveLab, type LabServer } from './serve.js';
