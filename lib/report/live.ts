import pc from 'picocolors';
import { escapeLine } from './escape.js';
import type { EngineEvent, Reporter } from './events.js';
import { plainReporter, type PlainReporterOptions } from './plain.js';
import { redact } from './redact.js';
import { verbosityOf, writesNow } from './detail.js';

/** A name on the live block: redacted, one line, control characters as escapes. */
const shown = (s: string) => escapeLine(redact(s));

/**
 * On a terminal: the plain reporter's lines scroll above a live block with one line per
 * running host and its current task. The block is redrawn in place (ANSI cursor moves) and
 * removed when the run ends. Names are shown as the plain reporter shows them: redacted and
 * on one line.
 *
 * @example
 * await deploy({ reporter: liveReporter({ diff: true }) })
 */
export function liveReporter(o: PlainReporterOptions & { columns?: () => number } = {}): Reporter {
  const write = o.write ?? ((s: string) => process.stdout.write(s));
  const columns = o.columns ?? (() => process.stdout.columns || 80);
  const c = pc.createColors(o.color ?? true);
  const current = new Map<string, string>();
  let drawn = 0;
  const clear = () => {
    if (drawn) write(`\x1b[${drawn}A\x1b[0J`);
    drawn = 0;
  };
  const draw = () => {
    // --quiet: nothing but errors and the recap, so no progress block either.
    if (o.quiet) return;
    const lines = [...current].map(([host, task]) => `${c.bold(shown(host))} ${c.dim('…')} ${task}`.slice(0, columns() + 20));
    if (lines.length) write(lines.join('\n') + '\n');
    drawn = lines.length;
  };
  // The outer handler erases the block before the plain reporter writes and redraws it after.
  const plain = plainReporter({ ...o, color: o.color ?? true, write });
  const level = verbosityOf(o);
  return (e: EngineEvent) => {
    if (e.type === 'task-start') current.set(e.task.host, e.task.handler ? `handler ${shown(e.task.handler)}: ${shown(e.task.name)}` : shown(e.task.name));
    if (e.type === 'host-end' || e.type === 'host-unreachable') current.delete(e.host);
    if (e.type === 'run-end') current.clear();
    // Details kept for a task's line (or not shown at this level) write nothing now: no redraw.
    if (!writesNow(e, level)) { plain(e); return; }
    clear();
    plain(e);
    draw();
  };
}
