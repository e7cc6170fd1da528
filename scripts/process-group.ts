// A stack's child processes, each leading its own process group: a terminal's Ctrl-C reaches only the
// supervisor, which then stops each child once (the connector drains on one SIGTERM; a second means "now").
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';

/** `node <args>` in its own process group; `onExit` hears of every exit, expected or not. */
export function spawnGroup(args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; stdio: StdioOptions; onExit: (code: number | null, signal: NodeJS.Signals | null) => void }): ChildProcess {
  const child = spawn(process.execPath, args, { cwd: options.cwd, env: options.env, stdio: options.stdio, detached: true });
  child.on('exit', options.onExit);
  return child;
}

/** The whole group, even after its leader exited: a crashed wrangler can leave workerd or esbuild behind. */
export function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/** SIGTERM to the group, SIGKILL after `graceMs`; resolves once the leader has exited. */
export async function stopGroup(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return signalGroup(child, 'SIGKILL');
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  signalGroup(child, 'SIGTERM');
  const late = setTimeout(() => signalGroup(child, 'SIGKILL'), graceMs);
  await exited;
  clearTimeout(late);
}
