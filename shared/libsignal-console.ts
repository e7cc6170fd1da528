// libsignal prints whole Signal session records (root and chain keys included) with console.info/warn
// whenever a session opens or closes. Those lines must not reach logs: the connector and the simulator both
// divert them here, keeping only the first words.

const LIBSIGNAL_PREFIXES = [
  'Closing session',
  'Opening session',
  'Removing old closed session',
  'Closing open session in favor of incoming prekey bundle',
  'Session already closed',
  'Session already open',
  'Migrating session to',
  'Decrypted message with closed session',
];

type ConsoleLike = Pick<Console, 'info' | 'warn' | 'log'>;

/** Diverts libsignal's session chatter from `target` to `onLine` (dropped by default); returns an undo. */
export function muteLibsignalConsole(onLine: (line: string) => void = () => {}, target: ConsoleLike = console): () => void {
  const methods = ['info', 'warn', 'log'] as const;
  const originals = methods.map((method) => [method, target[method]] as const);
  for (const [method, original] of originals) {
    target[method] = (...args: unknown[]) => {
      const first = args[0];
      if (typeof first === 'string' && LIBSIGNAL_PREFIXES.some((prefix) => first.startsWith(prefix))) {
        onLine(first.replace(/:$/, ''));
        return;
      }
      original.apply(target, args);
    };
  }
  return () => {
    for (const [method, original] of originals) target[method] = original;
  };
}
