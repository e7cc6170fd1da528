// The Worker's configuration, parsed with zod from its variables; a bad or missing one is reported by name
// instead of surfacing later as a confusing failure.
import { z } from 'zod';
import { ApiError } from './errors.ts';
import { webhookTargetProblem } from './webhooks/target-address.ts';

const flag = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const perMinute = z.coerce.number().int().min(1).max(1_000_000);
const days = z.coerce.number().int().min(1, 'must be at least 1 day').max(36_500);

const ConfigFields = z.object({
  TURSO_DATABASE_URL: z.string().regex(/^(libsql|https?|wss?):\/\//, 'must be a libsql://, http(s):// or ws(s):// URL'),
  TURSO_AUTH_TOKEN: z.string().optional(),
  ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters'),
  CONNECTOR_SECRET: z.string().min(16, 'must be at least 16 characters'),
  ALLOW_OPEN_SESSION_CREATE: flag.default(false),
  OPEN_SESSION_CREATE_PER_HOUR: z.coerce.number().int().min(1).max(10_000).default(5),
  AUTH_FAILURES_PER_MIN: perMinute.default(30),
  DEFAULT_COUNTRY_CODE: z.string().regex(/^[1-9]\d{0,3}$/, 'must be 1-4 digits').default('62'),
  RATE_LIMIT_SEND_PER_MIN: perMinute.default(60),
  RATE_LIMIT_OTHER_PER_MIN: perMinute.default(600),
  ADMIN_RATE_LIMIT_SEND_PER_MIN: perMinute.default(1200),
  ADMIN_RATE_LIMIT_OTHER_PER_MIN: perMinute.default(6000),
  CORS_ORIGINS: z
    .string()
    .default('')
    .transform((v) => v.split(',').map((o) => o.trim()).filter(Boolean)),
  /** A connector not heard from for this long loses its sessions to live connectors (README, "Failover"). */
  CONNECTOR_LEASE_SECONDS: z.coerce.number().int().min(2).max(3_600).default(30),
  COMMAND_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(15_000),
  STREAMS_PER_SESSION: z.coerce.number().int().min(1).max(1000).default(10),
  STREAMS_TOTAL: z.coerce.number().int().min(1).max(30_000).default(1000),
  STREAM_IDLE_MS: z.coerce.number().int().min(1000).max(3_600_000).default(90_000),
  MAX_MESSAGE_LENGTH: z.coerce.number().int().min(1).max(65_536).default(4096),
  WEBHOOK_URL: z.url().optional(),
  WEBHOOK_SECRET: z.string().optional(),
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  WEBHOOK_RETRY_BASE_SECONDS: z.coerce.number().min(0).max(3600).default(30),
  /** Local development only: lets webhooks reach loopback, private and link-local hosts. */
  WEBHOOK_ALLOW_PRIVATE_TARGETS: flag.default(false),
  /** The Worker's public origin, for the links it hands out (media); unset, the request's own origin. */
  PUBLIC_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).transform((v) => v.replace(/\/+$/, '')).optional(),
  /** A media send waits this long for the connector (it uploads the file to WhatsApp first); text waits COMMAND_TIMEOUT_MS. */
  MEDIA_COMMAND_TIMEOUT_MS: z.coerce.number().int().min(1000).max(600_000).default(120_000),
  MAX_MEDIA_BYTES: z.coerce.number().int().min(1024).max(2 * 1024 ** 3).default(100 * 1024 * 1024),
  /** How long the link to a received file in a webhook or live event works. */
  MEDIA_URL_TTL_SECONDS: z.coerce.number().int().min(60).max(7 * 86_400).default(86_400),
  MEDIA_RETENTION_DAYS: days.default(30),
  /** Local development only: lets media URLs given for a send reach loopback, private and link-local hosts. */
  MEDIA_ALLOW_PRIVATE_URLS: flag.default(false),
  EVENT_RETENTION_DAYS: days.default(30),
  WEBHOOK_DELIVERY_RETENTION_DAYS: days.default(14),
});

/** The deployment's own webhook is held to the same rule as a session's. */
const ConfigSchema = ConfigFields.superRefine((config, context) => {
  const problem = config.WEBHOOK_URL && webhookTargetProblem(config.WEBHOOK_URL, config.WEBHOOK_ALLOW_PRIVATE_TARGETS);
  if (problem) context.addIssue({ code: 'custom', path: ['WEBHOOK_URL'], message: problem });
});

export type Config = z.infer<typeof ConfigSchema>;

/** Every variable the Worker reads, so `npm start` can pass them through from its environment. */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(ConfigFields.shape);

/** Empty strings mean "unset", as they do for most deploy tooling. */
function withoutEmpty(env: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(env).filter(([, v]) => typeof v !== 'string' || v !== ''));
}

/**
 * The bindings object is the same for every request an isolate serves, so its parse is kept with it rather
 * than redone per request (it showed in the status path's CPU profile).
 */
const parsedByEnv = new WeakMap<object, Config>();

export function readConfig(env: Record<string, unknown>): Config {
  const cached = parsedByEnv.get(env);
  if (cached) return cached;
  const parsed = ConfigSchema.safeParse(withoutEmpty(env));
  if (parsed.success) {
    parsedByEnv.set(env, parsed.data);
    return parsed.data;
  }
  const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
  throw new ApiError('MISCONFIGURED', `The gateway is misconfigured: ${problems}`);
}
