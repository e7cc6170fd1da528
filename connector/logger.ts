// Structured logging for the connector process: one pino root logger; modules take a child.
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'connector' } });
}
