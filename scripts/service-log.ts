// The log lines of the one-box service's own supervisor and of its Worker: JSON lines shaped as the
// connector's pino lines (level number, time in ms, msg) for a log collector, or readable lines
// (LOG_FORMAT=pretty).

export type LogFormat = 'json' | 'pretty';
export type Level = 'debug' | 'info' | 'warn' | 'error';

const PINO_LEVELS: Record<Level, number> = { debug: 20, info: 30, warn: 40, error: 50 };

export function logFormatOf(value: string | undefined): LogFormat {
  if (value === undefined || value === '' || value === 'json') return 'json';
  if (value === 'pretty') return 'pretty';
  throw new Error(`LOG_FORMAT must be json or pretty, got "${value}"`);
}

/** A worker's or runtime's level name as one of ours (workerd says "log" for console.log). */
export function levelOf(name: string): Level {
  if (name === 'warn' || name === 'error' || name === 'debug') return name;
  return 'info';
}

export function formatLine(format: LogFormat, source: string, level: Level, msg: string, time = Date.now()): string {
  if (format === 'json') return JSON.stringify({ level: PINO_LEVELS[level], time, source, msg });
  return `${new Date(time).toISOString()} ${level.toUpperCase().padEnd(5)} [${source}] ${msg}`;
}
