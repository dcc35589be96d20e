/** Every operation kind, by the name a task carries. */
import { aptOp } from './apt.js';
import { commandOp } from './command.js';
import { copyOp } from './copy.js';
import { fileOp } from './file.js';
import { flushHandlersOp } from './flush-handlers.js';
import { groupOp } from './group.js';
import { lineOp } from './line.js';
import { pipOp } from './pip.js';
import { serviceOp } from './service.js';
import { shellOp } from './shell.js';
import { templateOp } from './template.js';
import { userOp } from './user.js';
import { venvOp } from './venv.js';
import { waitForOp } from './wait-for.js';
import { systemdUnitOp } from './systemd-unit.js';
import { gitOp } from './git.js';
import { downloadOp } from './download.js';
import { unarchiveOp } from './unarchive.js';
import { aptRepositoryOp } from './apt-repository.js';
import { cronOp } from './cron.js';
import { sysctlOp } from './sysctl.js';
import { authorizedKeyOp } from './authorized-key.js';
import { syncOp } from './sync.js';
import { rebootOp } from './reboot.js';
import type { OpSpec } from './types.js';

export const ops: Record<string, OpSpec<any>> = {
  apt: aptOp,
  file: fileOp,
  flushHandlers: flushHandlersOp,
  copy: copyOp,
  template: templateOp,
  shell: shellOp,
  command: commandOp,
  service: serviceOp,
  user: userOp,
  group: groupOp,
  venv: venvOp,
  pip: pipOp,
  line: lineOp,
  waitFor: waitForOp,
  systemdUnit: systemdUnitOp,
  git: gitOp,
  download: downloadOp,
  unarchive: unarchiveOp,
  aptRepository: aptRepositoryOp,
  cron: cronOp,
  sysctl: sysctlOp,
  authorizedKey: authorizedKeyOp,
  sync: syncOp,
  reboot: rebootOp,
};
