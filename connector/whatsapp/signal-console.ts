// libsignal prints whole Signal session records (root and chain keys included) with console.info/warn
// whenever a session opens or closes. Those lines must not reach production logs; they go to debug, without
// the record.
import type { Logger } from 'pino';

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

/** Filters libsignal's session chatter out of `target` (the global console by default); returns an undo. */
export function muteLibsignalConsole(logger: Logger, target: ConsoleLike = console): () => void {
  const methods = ['info', 'warn', 'log'] as const;
  const originals = methods.map((method) => [method, target[method]] as const);
  for (const [method, original] of originals) {
    target[method] = (...args: unknown[]) => {
      const first = args[0];
      if (typeof first === 'string' && LIBSIGNAL_PREFIXES.some((prefix) => first.startsWith(prefix))) {
        logger.debug({ module: 'libsignal' }, first.replace(/:$/, ''));
        return;
      }
      original.apply(target, args);
    };
  }
  return () => {
    for (const [method, original] of originals) target[method] = original;
  };
}
