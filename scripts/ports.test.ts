import { describe, expect, it } from 'vitest';
import { PortConfigError, portsNeeded } from './ports.ts';

describe('portsNeeded', () => {
  it('lists PORT, SIMULATOR_PORT only with the simulator, and LIBSQL_PORT only for the local database', () => {
    expect(portsNeeded({}, false)).toEqual([{ variable: 'PORT', port: 8787 }]);
    expect(portsNeeded({ PORT: '9000', LIBSQL_PORT: '9001' }, true)).toEqual([
      { variable: 'PORT', port: 9000 }, { variable: 'SIMULATOR_PORT', port: 8790 }, { variable: 'LIBSQL_PORT', port: 9001 },
    ]);
    expect(portsNeeded({ LIBSQL_PORT: '9001', TURSO_DATABASE_URL: 'libsql://x.turso.io' }, false)).toEqual([{ variable: 'PORT', port: 8787 }]);
  });

  it('refuses bad numbers, PORT=0 and two variables on one port, naming them', () => {
    expect(() => portsNeeded({ PORT: 'http' }, false)).toThrow(new PortConfigError('PORT must be a port number, got "http"'));
    expect(() => portsNeeded({ PORT: '0' }, false)).toThrow(/PORT must name a port/);
    expect(() => portsNeeded({ PORT: '9000', SIMULATOR_PORT: '9000' }, true)).toThrow('PORT and SIMULATOR_PORT are both 9000');
    expect(portsNeeded({ SIMULATOR_PORT: '0', LIBSQL_PORT: '0' }, true).map((need) => need.port)).toEqual([8787, 0, 0]);
  });
});
