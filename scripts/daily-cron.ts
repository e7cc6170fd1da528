// When a cron trigger of the form "M H * * *" (a fixed time each day, in UTC as on Cloudflare) next fires.
// The one-box service runs the Worker's scheduled handler itself; it needs no more of cron than this.

const DAILY = /^(\d{1,2}) (\d{1,2}) \* \* \*$/;

/** The next time after `after` that `cron` fires, or null for a cron that is not a fixed daily time. */
export function nextDailyRun(cron: string, after: Date): Date | null {
  const match = DAILY.exec(cron.trim().replace(/\s+/g, ' '));
  if (!match) return null;
  const [minute, hour] = [Number(match[1]), Number(match[2])];
  if (minute > 59 || hour > 23) return null;
  const next = new Date(Date.UTC(after.getUTCFullYear(), after.getUTCMonth(), after.getUTCDate(), hour, minute));
  if (next.getTime() <= after.getTime()) next.setUTCDate(next.getUTCDate() + 1);
  return next;
}
