// The composition root's per-request half: parses configuration and wires the services to the real
// database and Durable Objects, once per request.
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../app-env.ts';
import { createDb, type Db } from '../db/client.ts';
import { readConfig } from '../config.ts';
import type { HubPort } from '../services/ports.ts';

export const services = createMiddleware<AppEnv>(async (c, next) => {
  const config = readConfig(c.env);
  const hub = c.env.HUB.get(c.env.HUB.idFromName('hub')) as unknown as HubPort;
  const gate = (hash: string) => c.env.KEY_GATE.get(c.env.KEY_GATE.idFromName(hash));
  const gates = {
    forget: async (keyHashes: string[]) => {
      await Promise.all(keyHashes.map((hash) => gate(hash).forget()));
    },
    handOver: async (revokedHashes: string[], newHash: string) => {
      const buckets = await Promise.all(revokedHashes.map((hash) => gate(hash).retire()));
      await gate(newHash).inherit(buckets);
    },
  };
  let db: Db | undefined;
  // Made on first use: the hot read paths (status, QR) answer from the Durable Objects alone.
  c.set('services', {
    config,
    get db() {
      return (db ??= createDb(config));
    },
    hub,
    gates,
    media: c.env.MEDIA,
  });
  await next();
});
