// Request/response over Node's child-process IPC channel, so the bench can drive helper processes
// (simulator, raw Baileys) that must run outside its own event loop to be measured fairly.
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

type Request = { id: number; op: string; args: unknown[] };
type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };

export type Handlers = Record<string, (...args: any[]) => unknown>;

/** Child side: answers each request with its handler's (awaited) value; sends `ready` once listening. */
export function serve(handlers: Handlers): void {
  process.on('message', (message: Request) => {
    const handler = handlers[message.op];
    Promise.resolve()
      .then(() => {
        if (!handler) throw new Error(`no such op: ${message.op}`);
        return handler(...message.args);
      })
      .then(
        (value) => process.send!({ id: message.id, ok: true, value } satisfies Reply),
        (err: unknown) => process.send!({ id: message.id, ok: false, error: err instanceof Error ? err.stack ?? err.message : String(err) } satisfies Reply),
      );
  });
  // The parent exiting (or crashing) must not leave helpers holding ports and sockets.
  process.on('disconnect', () => process.exit(0));
  process.send!({ id: 0, ok: true, value: 'ready' } satisfies Reply);
}

export type Helper = {
  child: ChildProcess;
  call<T = unknown>(op: string, ...args: unknown[]): Promise<T>;
  stop(): Promise<void>;
};

/** Parent side: forks `module` with `execArgv` and resolves once it is serving. */
export async function startHelper(module: string, execArgv: string[] = [], env: Record<string, string> = {}): Promise<Helper> {
  const child = fork(module, [], { execArgv, env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiting = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  let next = 1;
  const ready = new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${module} exited with ${code} before it was ready`)));
    child.on('message', (reply: Reply) => {
      if (reply.id === 0) return resolve();
      const w = waiting.get(reply.id);
      if (!w) return;
      waiting.delete(reply.id);
      if (reply.ok) w.resolve(reply.value);
      else w.reject(new Error(`${module}: ${reply.error}`));
    });
  });
  child.on('exit', () => {
    for (const w of waiting.values()) w.reject(new Error(`${module} exited`));
    waiting.clear();
  });
  await ready;
  return {
    child,
    call: (op, ...args) =>
      new Promise((resolve, reject) => {
        const id = next++;
        waiting.set(id, { resolve, reject });
        child.send({ id, op, args } satisfies Request);
      }),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
