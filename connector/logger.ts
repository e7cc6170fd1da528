// Structured logging for the connector process: one pino root logger; modules take a child. JSON lines in
// production; readable lines (pino-pretty) when a person watches the terminal.
import { pino, type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

export function createLogger(level: string, format: 'json' | 'pretty' = 'json', destination: DestinationStream = process.stdout): Logger {
  const options = { level, base: { service: 'connector' } };
  if (format === 'json') return pino(options, destination);
  // Synchronous, so the last lines before an exit are not lost in a worker thread.
  const colorize = destination === process.stdout && (process.stdout.isTTY ?? false);
  return pino(options, pretty({ colorize, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname,service', sync: true, destination }));
}
