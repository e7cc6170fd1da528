// The logger handed to Baileys. WhatsApp ends the first socket after every pairing with stream error 515
// ("restart required"), and Baileys logs that at error level; it is the normal flow, so it is logged at info.
import type { Logger } from 'pino';

/** Baileys' `stream errored out` line for code 515: WhatsApp's routine restart after pairing. */
export function isRestartAfterPairing(fields: unknown, message: unknown): boolean {
  if (message !== 'stream errored out' || !fields || typeof fields !== 'object') return false;
  const node = (fields as { fullErrorNode?: { attrs?: { code?: unknown } } }).fullErrorNode;
  return String(node?.attrs?.code) === '515';
}

export function baileysLogger(logger: Logger): Logger {
  return new Proxy(logger, {
    get(target, property, receiver) {
      if (property === 'child') return (...args: Parameters<Logger['child']>) => baileysLogger(target.child(...args) as unknown as Logger);
      if (property === 'error') {
        return (fields: unknown, message?: unknown, ...rest: unknown[]) => {
          if (isRestartAfterPairing(fields, message)) return target.info({ code: 515 }, 'WhatsApp asked for its usual restart after pairing (515); reconnecting');
          return (target.error as (...a: unknown[]) => void)(fields, message, ...rest);
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
