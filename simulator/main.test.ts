import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent } from 'undici';
import { expect, test } from 'vitest';
import { MEDIA_TEST_CA } from './media-tls.ts';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

test('the process listens where SIMULATOR_PORT says, names its media host, answers GET / and exits cleanly on SIGTERM', async () => {
  const child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, SIMULATOR_PORT: '0', SIMULATOR_HOST: '127.0.0.1', SIMULATOR_SEED: '1234' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    let output = '';
    const [url, media] = await new Promise<[string, string]>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const match = /listening: (http:\/\/127\.0\.0\.1:\d+).*media (https:\/\/localhost:\d+)\).*receipt seed 1234/.exec(output);
        if (match) resolve([match[1]!, match[2]!]);
      });
      child.once('exit', (code) => reject(new Error(`simulator exited early with ${code}: ${output}`)));
    });
    const response = await fetch(`${url}/`);
    expect(await response.json()).toMatchObject({ name: 'kabar WhatsApp simulator', media });
    const dispatcher = new Agent({ connect: { ca: MEDIA_TEST_CA } });
    const missing = await fetch(`${media}/v/t62.7118-24/00000000000000000000000000000000.enc`, { dispatcher } as RequestInit);
    expect(missing.status).toBe(404);
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    expect((await exited)[0]).toBe(0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});

test('the process refuses a SIMULATOR_PORT that is not a port, naming the variable', async () => {
  const child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, SIMULATOR_PORT: 'eighty' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = await once(child, 'exit');
  expect(code).not.toBe(0);
  expect(stderr).toContain('SIMULATOR_PORT');
});

test('the process refuses a SIMULATOR_RECEIPT_DELAY_MS that is not a number of ms, naming the variable', async () => {
  const child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, SIMULATOR_PORT: '0', SIMULATOR_RECEIPT_DELAY_MS: 'soon' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = await once(child, 'exit');
  expect(code).not.toBe(0);
  expect(stderr).toContain('SIMULATOR_RECEIPT_DELAY_MS');
});

test('the process says in one line that SIMULATOR_PORT is taken, without a stack trace', async () => {
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  const port = (holder.address() as AddressInfo).port;
  try {
    const child = spawn(process.execPath, [MAIN], {
      env: { ...process.env, SIMULATOR_PORT: String(port), SIMULATOR_HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const [code] = await once(child, 'exit');
    expect(code).toBe(1);
    expect(output.trim().split('\n')).toEqual([`SIMULATOR_PORT ${port} is already in use on 127.0.0.1; choose another port`]);
  } finally {
    holder.close();
  }
});

test('the process says in one line that SIMULATOR_MEDIA_PORT is taken, naming that variable', async () => {
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  const port = (holder.address() as AddressInfo).port;
  try {
    const child = spawn(process.execPath, [MAIN], {
      env: { ...process.env, SIMULATOR_PORT: '0', SIMULATOR_MEDIA_PORT: String(port), SIMULATOR_HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const [code] = await once(child, 'exit');
    expect(code).toBe(1);
    expect(output.trim().split('\n')).toEqual([`SIMULATOR_MEDIA_PORT ${port} is already in use on 127.0.0.1; choose another port`]);
  } finally {
    holder.close();
  }
});

test('the process keeps its world in SIMULATOR_STATE_PATH, written when SIGTERM stops it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kabar-simulator-main-'));
  const statePath = join(dir, 'simulator.json');
  const child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, SIMULATOR_PORT: '0', SIMULATOR_STATE_PATH: statePath },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    let output = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('listening')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`simulator exited early with ${code}: ${output}`)));
    });
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    expect((await exited)[0]).toBe(0);
    expect(JSON.parse(readFileSync(statePath, 'utf8'))).toMatchObject({ version: 1, accounts: [] });
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
