import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { listensOn } from './port-owner.ts';

describe('listensOn', () => {
  it('finds the listener in the process tree it is asked about, and only there', async () => {
    // A child that listens, so the port's owner is a descendant of this process but not of an unrelated one.
    const child = spawn(process.execPath, ['-e', "require('net').createServer().listen(0, '127.0.0.1', function () { console.log(this.address().port) })"], { stdio: ['ignore', 'pipe', 'inherit'] });
    const bystander = createServer();
    await new Promise<void>((resolve) => bystander.listen(0, '127.0.0.1', resolve));
    try {
      const [line] = await once(child.stdout, 'data');
      const port = Number(String(line).trim());
      expect(listensOn(child.pid!, port)).toBe(true);
      expect(listensOn(process.pid, port)).toBe(true); // the child is a descendant
      expect(listensOn(child.pid!, (bystander.address() as AddressInfo).port)).toBe(false);
    } finally {
      child.kill('SIGKILL');
      bystander.close();
    }
  });
});
