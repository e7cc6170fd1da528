// libsignal prints whole session records with console.info/warn whenever a session opens or closes.
// That is noise in tests and a cost under load, so this filters those lines out (and only those).
const SIGNAL_PREFIXES = [
  'Closing session',
  'Opening session',
  'Removing old closed session',
  'Closing open session in favor of incoming prekey bundle',
  'Session already closed',
  'Session already open',
  'Migrating session to',
  'Decrypted message with closed session',
];

type ConsoleMethod = 'info' | 'warn' | 'log';

/** Drops libsignal's session chatter from console output; returns a function restoring console. */
export function quietSignalLogs(): () => void {
  const methods: ConsoleMethod[] = ['info', 'warn', 'log'];
  const originals = methods.map((method) => [method, console[method]] as const);
  for (const [method, original] of originals) {
    console[method] = (...args: unknown[]) => {
      const first = args[0];
      if (typeof first === 'string' && SIGNAL_PREFIXES.some((prefix) => first.startsWith(prefix))) return;
      original.apply(console, args);
    };
  }
  return () => {
    for (const [method, original] of originals) console[method] = original;
  };
}
