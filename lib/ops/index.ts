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
};
