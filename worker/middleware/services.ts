// The composition root's per-request half: parses configuration and wires the services to the real
// database and Durable Objects, once per request.
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../app-env.ts';
import { createDb, type Db } from '../db/client.ts';
import { readConfig } from '../config.ts';
import { HubRouter } from '../hub/hub-router.ts';

export const services = createMiddleware<AppEnv>(async (c, next) => {
  const config = readConfig(c.env);
  const gate = (hash: string) => c.env.KEY_GATE.get(c.env.KEY_GATE.idFromName(hash));
  let db: Db | undefined;
  const hub = new HubRouter({
    hubs: c.env.HUB,
    db: () => (db ??= createDb(config)),
    // Set by API-key auth after this runs; read when a call is made.
    hint: () => (c.get('sessionId') ? { sessionId: c.get('sessionId'), connectorId: c.get('connectorId') ?? null } : undefined),
    stale: async () => {
      const hash = c.get('keyHash');
      if (hash) await gate(hash).forget();
    },
  });
  const gates = {
    forget: async (keyHashes: string[]) => {
      await Promise.all(keyHashes.map((hash) => gate(hash).forget()));
    },
    handOver: async (revokedHashes: string[], newHash: string) => {
      const buckets = await Promise.all(revokedHashes.map((hash) => gate(hash).retire()));
      await gate(newHash).inherit(buckets);
    },
  };
  c.set('hubs', hub);
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
