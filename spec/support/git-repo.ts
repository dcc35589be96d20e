// Git repositories the lab serves in tests (serveLab): made on this machine, as a fixed author.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/**
 * Runs git in `cwd` as the author dev@example.org; its stdout, trimmed.
 *
 * @example
 * await git(['rev-parse', 'HEAD'], work)   // '3f2a…'
 */
export async function git(args: string[], cwd: string): Promise<string> {
  return (await exec('git', ['-c', 'user.name=dev', '-c', 'user.email=dev@example.org', ...args], { cwd })).stdout.trim();
}

/**
 * Makes `work` a repository on branch main with one commit of what it holds (tagged `tag`,
 * annotated, when given), clones it bare to `bare` and makes that its origin, so a test can
 * commit and push new versions.
 *
 * @example
 * await publishRepo(work, join(served, 'app.git'), { message: 'first', tag: 'v1.0' })
 */
export async function publishRepo(work: string, bare: string, o: { message: string; tag?: string }): Promise<void> {
  await git(['init', '-q', '-b', 'main'], work);
  await git(['add', '.'], work);
  await git(['commit', '-qm', o.message], work);
  if (o.tag) await git(['tag', '-a', o.tag, '-m', `release ${o.tag.replace(/^v/, '')}`], work);
  await git(['clone', '-q', '--bare', work, bare], work);
  await git(['remote', 'add', 'origin', bare], work);
}
