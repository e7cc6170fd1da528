import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_CONNECTOR_DB_URL, DEFAULT_WA_KEEPALIVE_INTERVAL_MS, DEFAULT_WA_WS_URL, loadConfig } from './config.ts';
import { PINNED_WA_VERSION } from './wa-version.ts';

const valid = {
  HUB_URL: 'ws://127.0.0.1:8787/',
  CONNECTOR_ID: 'edge-1',
  CONNECTOR_SECRET: 'a-long-enough-secret',
  AUTH_STATE_KEY: '00'.repeat(32),
};

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig(valid);
    expect(config).toMatchObject({
      hubUrl: 'ws://127.0.0.1:8787',
      dbUrl: DEFAULT_CONNECTOR_DB_URL,
      logLevel: 'info',
      waWsUrl: DEFAULT_WA_WS_URL,
      waSimulator: false,
      waVersion: PINNED_WA_VERSION,
      waVersionFetch: false,
      waKeepAliveIntervalMs: DEFAULT_WA_KEEPALIVE_INTERVAL_MS,
      messageStoreDays: 7,
      qrMaxRounds: 5,
      historySync: 'mappings',
      maxMediaBytes: 100 * 1024 * 1024,
      metrics: undefined,
    });
    expect(config.authStateKey).toHaveLength(32);
  });

  it('keeps messages for MESSAGE_STORE_DAYS days and refuses a retention that is not a whole number of days', () => {
    expect(loadConfig({ ...valid, MESSAGE_STORE_DAYS: '30' }).messageStoreDays).toBe(30);
    expect(() => loadConfig({ ...valid, MESSAGE_STORE_DAYS: 'a week' })).toThrow(/MESSAGE_STORE_DAYS/);
    expect(() => loadConfig({ ...valid, MESSAGE_STORE_DAYS: '0' })).toThrow(/MESSAGE_STORE_DAYS/);
  });

  it('takes how much history to sync from HISTORY_SYNC and refuses an unknown mode', () => {
    expect(loadConfig({ ...valid, HISTORY_SYNC: 'none' }).historySync).toBe('none');
    expect(loadConfig({ ...valid, HISTORY_SYNC: 'recent' }).historySync).toBe('recent');
    expect(() => loadConfig({ ...valid, HISTORY_SYNC: 'full' })).toThrow(/HISTORY_SYNC: must be one of none, mappings, recent/);
  });

  it('reads MAX_MEDIA_BYTES and refuses one that is not a positive whole number of bytes', () => {
    expect(loadConfig({ ...valid, MAX_MEDIA_BYTES: '1048576' }).maxMediaBytes).toBe(1_048_576);
    expect(() => loadConfig({ ...valid, MAX_MEDIA_BYTES: '0' })).toThrow(/MAX_MEDIA_BYTES/);
    expect(() => loadConfig({ ...valid, MAX_MEDIA_BYTES: '10MB' })).toThrow(/MAX_MEDIA_BYTES: must be a number of bytes/);
  });

  it('names every missing variable', () => {
    expect(() => loadConfig({})).toThrow(/HUB_URL: is required[\s\S]*CONNECTOR_ID[\s\S]*CONNECTOR_SECRET[\s\S]*AUTH_STATE_KEY/);
  });

  it('reads QR_MAX_ROUNDS and refuses one below 1', () => {
    expect(loadConfig({ ...valid, QR_MAX_ROUNDS: '2' }).qrMaxRounds).toBe(2);
    expect(() => loadConfig({ ...valid, QR_MAX_ROUNDS: '0' })).toThrow(/QR_MAX_ROUNDS: must be a whole number from 1/);
  });

  it('names a bad variable with what is wrong with it', () => {
    expect(() => loadConfig({ ...valid, HUB_URL: 'http://hub' })).toThrow(/HUB_URL: must be a ws:\/\/ or wss:\/\/ URL/);
    expect(() => loadConfig({ ...valid, AUTH_STATE_KEY: 'abcd' })).toThrow(/AUTH_STATE_KEY: must be 32 bytes/);
    expect(() => loadConfig({ ...valid, LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL/);
  });

  it('takes the WhatsApp version from WA_VERSION and fetching it only when WA_VERSION_FETCH=true', () => {
    expect(loadConfig({ ...valid, WA_VERSION: '2.3000.1234', WA_VERSION_FETCH: 'true' })).toMatchObject({
      waVersion: [2, 3000, 1234],
      waVersionFetch: true,
    });
    expect(() => loadConfig({ ...valid, WA_VERSION: '2.3000' })).toThrow(/WA_VERSION: must be a WhatsApp Web version/);
    expect(() => loadConfig({ ...valid, WA_VERSION_FETCH: 'yes' })).toThrow(/WA_VERSION_FETCH: must be true or false/);
  });

  it('takes the WhatsApp keep-alive interval in whole milliseconds from 1 s', () => {
    expect(loadConfig({ ...valid, WA_KEEPALIVE_INTERVAL_MS: '1000' }).waKeepAliveIntervalMs).toBe(1_000);
    expect(() => loadConfig({ ...valid, WA_KEEPALIVE_INTERVAL_MS: '999' })).toThrow(/WA_KEEPALIVE_INTERVAL_MS: must be at least 1000/);
    expect(() => loadConfig({ ...valid, WA_KEEPALIVE_INTERVAL_MS: 'often' })).toThrow(/WA_KEEPALIVE_INTERVAL_MS: must be a number/);
    expect(() => loadConfig({ ...valid, WA_KEEPALIVE_INTERVAL_MS: '1500.5' })).toThrow(/WA_KEEPALIVE_INTERVAL_MS: must be a whole number/);
  });

  it('accepts AUTH_STATE_KEY as base64 as well as hex', () => {
    const key = Buffer.alloc(32, 9);
    expect(loadConfig({ ...valid, AUTH_STATE_KEY: key.toString('base64') }).authStateKey.equals(key)).toBe(true);
    expect(loadConfig({ ...valid, AUTH_STATE_KEY: key.toString('base64url') }).authStateKey.equals(key)).toBe(true);
  });

  it('accepts the simulator only on a loopback ws:// URL', () => {
    expect(loadConfig({ ...valid, WA_SIMULATOR: '1', WA_WS_URL: 'ws://127.0.0.1:9000/ws/chat' }).waSimulator).toBe(true);
    expect(() => loadConfig({ ...valid, WA_SIMULATOR: '1' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...valid, WA_SIMULATOR: '1', WA_WS_URL: 'ws://10.0.0.5:9000/ws/chat' })).toThrow(/loopback/);
    expect(() => loadConfig({ ...valid, WA_SIMULATOR: '1', WA_WS_URL: 'wss://127.0.0.1:9000/ws/chat' })).toThrow(/loopback/);
  });

  it('refuses a plain ws:// HUB_URL to a non-loopback host unless HUB_ALLOW_INSECURE=true', () => {
    // Hub frames unlink phones: on an unencrypted link anyone on the path could send one.
    expect(() => loadConfig({ ...valid, HUB_URL: 'ws://hub.example.com' })).toThrow(/HUB_URL: ws:\/\/ to a non-loopback host .*HUB_ALLOW_INSECURE=true/);
    expect(() => loadConfig({ ...valid, HUB_URL: 'ws://10.0.0.5:8787' })).toThrow(ConfigError);
    expect(loadConfig({ ...valid, HUB_URL: 'ws://hub.example.com', HUB_ALLOW_INSECURE: 'true' }).hubUrl).toBe('ws://hub.example.com');
    expect(loadConfig({ ...valid, HUB_URL: 'wss://hub.example.com' }).hubUrl).toBe('wss://hub.example.com');
    expect(loadConfig({ ...valid, HUB_URL: 'ws://localhost:8787' }).hubUrl).toBe('ws://localhost:8787');
    expect(loadConfig({ ...valid, HUB_URL: 'ws://[::1]:8787' }).hubUrl).toBe('ws://[::1]:8787');
    expect(() => loadConfig({ ...valid, HUB_URL: 'ws://hub.example.com', HUB_ALLOW_INSECURE: 'yes' })).toThrow(/HUB_ALLOW_INSECURE/);
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ ...valid, LOG_LEVEL: '', CONNECTOR_DB_URL: '' })).toMatchObject({ logLevel: 'info', dbUrl: DEFAULT_CONNECTOR_DB_URL });
  });

  it('serves metrics only when METRICS_PORT is set, on loopback unless METRICS_HOST widens it, and refuses a bad port', () => {
    expect(loadConfig({ ...valid, METRICS_PORT: '9464' }).metrics).toEqual({ port: 9464, host: '127.0.0.1' });
    expect(loadConfig({ ...valid, METRICS_PORT: '0' }).metrics).toEqual({ port: 0, host: '127.0.0.1' });
    expect(loadConfig({ ...valid, METRICS_PORT: '9464', METRICS_HOST: '0.0.0.0' }).metrics).toEqual({ port: 9464, host: '0.0.0.0' });
    expect(loadConfig({ ...valid, METRICS_HOST: '0.0.0.0' }).metrics).toBeUndefined();
    expect(() => loadConfig({ ...valid, METRICS_PORT: '65536' })).toThrow(/METRICS_PORT: must be a port number/);
    expect(() => loadConfig({ ...valid, METRICS_PORT: 'ninety' })).toThrow(/METRICS_PORT/);
    expect(() => loadConfig({ ...valid, METRICS_PORT: '9464', METRICS_HOST: 'http://x/' })).toThrow(/METRICS_HOST/);
  });
});
