import { describe, expect, it } from 'vitest';
import { parseFlags, settingsFrom } from '../../src/bin/settings.ts';
import { parseConfig } from '../../src/config.ts';
import {
  DEFAULT_MAX_SOCKETS_PER_TOKEN,
  DEFAULT_MAX_SUBSCRIPTIONS_PER_SOCKET,
} from '../../src/server/subscriptions.ts';

const configFrom = (argv: string[], env: Record<string, string> = {}) =>
  parseConfig(settingsFrom(parseFlags(argv).values, env));

describe('config', () => {
  it('has working defaults: loopback, port 4000, PGlite in ./.jobgate, auth on', () => {
    const c = configFrom([]);
    expect(c).toMatchObject({
      host: '127.0.0.1',
      port: 4000,
      dataDir: './.jobgate',
      auth: 'on',
      node: true,
      slots: 4,
    });
    expect(c.databaseUrl).toBeUndefined();
    expect(c.dialectPorts).toEqual({ flink: 8081, seatunnel: 5801, dkron: 8080, nomad: 4646, keeper: 7700 });
  });

  it('reads the environment, and flags win over it', () => {
    const c = configFrom(['--port', '5000', '--tag', 'zone=a', '--tag', 'gpu=yes'], {
      JOBGATE_PORT: '4001',
      JOBGATE_LOG_LEVEL: 'debug',
      DATABASE_URL: 'postgres://u@h/db',
    });
    expect(c).toMatchObject({
      port: 5000,
      logLevel: 'debug',
      databaseUrl: 'postgres://u@h/db',
      tags: { zone: 'a', gpu: 'yes' },
    });
  });

  it('names the setting and the accepted values on a bad value', () => {
    expect(() => configFrom(['--port', 'eighty'])).toThrow(
      /--port \/ JOBGATE_PORT: must be a port number from 0 to 65535/,
    );
    expect(() => configFrom([], { JOBGATE_LOG_LEVEL: 'loud' })).toThrow(
      /--log-level \/ JOBGATE_LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent/,
    );
    expect(() => configFrom(['--auth', 'maybe'])).toThrow(/--auth \/ JOBGATE_AUTH: must be on or off/);
    expect(() => configFrom(['--database-url', 'mysql://x'])).toThrow(
      /DATABASE_URL: must be a postgres:\/\//,
    );
    expect(() => configFrom(['--tag', 'novalue'])).toThrow(/--tag: "novalue" must be key=value/);
    expect(() => configFrom(['--bogus'])).toThrow(/Unknown option '--bogus'/);
  });

  it('refuses auth off on a non-loopback host', () => {
    expect(() => configFrom(['--host', '0.0.0.0', '--auth', 'off'])).toThrow(
      /--auth \/ JOBGATE_AUTH: cannot be off when host is 0.0.0.0/,
    );
    expect(configFrom(['--host', '0.0.0.0']).auth).toBe('on');
    expect(configFrom(['--host', 'localhost', '--auth', 'off']).auth).toBe('off');
  });
});

describe('browser and request settings', () => {
  it('takes exact origins from flags or the environment, and refuses anything else', () => {
    expect(configFrom([]).corsOrigins).toEqual([]);
    expect(
      configFrom(['--cors-origin', 'https://a.example', '--cors-origin', 'http://localhost:3000'])
        .corsOrigins,
    ).toEqual(['https://a.example', 'http://localhost:3000']);
    expect(
      configFrom([], { JOBGATE_CORS_ORIGINS: 'https://a.example,https://b.example' }).corsOrigins,
    ).toEqual(['https://a.example', 'https://b.example']);
    for (const bad of ['*', 'https://a.example/', 'https://a.example/app', 'a.example', 'null']) {
      expect(() => configFrom(['--cors-origin', bad])).toThrow(
        /--cors-origin \/ JOBGATE_CORS_ORIGINS: must be an origin/,
      );
    }
    expect(configFrom(['--mutation-rate-limit', '0', '--max-document-size', '4096'])).toMatchObject({
      mutationRateLimit: 0,
      maxDocumentSize: 4096,
    });
  });

  it('takes the WebSocket limits from flags or the environment, the server defaults otherwise', () => {
    expect(configFrom([])).toMatchObject({
      maxSocketsPerToken: DEFAULT_MAX_SOCKETS_PER_TOKEN,
      maxSubscriptionsPerSocket: DEFAULT_MAX_SUBSCRIPTIONS_PER_SOCKET,
    });
    expect(
      configFrom(['--max-sockets-per-token', '20000'], { JOBGATE_MAX_SUBSCRIPTIONS_PER_SOCKET: '5' }),
    ).toMatchObject({ maxSocketsPerToken: 20_000, maxSubscriptionsPerSocket: 5 });
    expect(() => configFrom(['--max-sockets-per-token', '0'])).toThrow(
      /--max-sockets-per-token \/ JOBGATE_MAX_SOCKETS_PER_TOKEN: must be at least 1/,
    );
    expect(() => configFrom([], { JOBGATE_MAX_SUBSCRIPTIONS_PER_SOCKET: '1.5' })).toThrow(
      /JOBGATE_MAX_SUBSCRIPTIONS_PER_SOCKET: must be a whole number/,
    );
  });

  it('bounds how long a stalled main loop is vouched for by the heartbeat thread (default 30 s)', () => {
    expect(configFrom([]).heartbeatMaxStallMs).toBe(30_000);
    expect(configFrom([], { JOBGATE_HEARTBEAT_MAX_STALL_MS: '8000' }).heartbeatMaxStallMs).toBe(8_000);
    expect(() => configFrom([], { JOBGATE_HEARTBEAT_MAX_STALL_MS: '10' })).toThrow(
      /JOBGATE_HEARTBEAT_MAX_STALL_MS/,
    );
  });
});

describe('dialect port flags', () => {
  it("every dialect has a port flag and a variable, each on its real system's port by default", async () => {
    const { execFile } = await import('node:child_process');
    const help = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['bin/jobgate.mjs', '--help'], (err, stdout) =>
        err ? reject(err) : resolve(stdout),
      ),
    );
    for (const flag of [
      '--flink-port 8081',
      '--seatunnel-port 5801',
      '--dkron-port 8080',
      '--nomad-port 4646',
      '--keeper-port 7700',
    ]) {
      expect(help).toContain(flag);
    }
    expect(configFrom(['serve', '--dkron-port', '0', '--keeper-port', '17700']).dialectPorts).toEqual({
      flink: 8081,
      seatunnel: 5801,
      dkron: 0,
      nomad: 4646,
      keeper: 17700,
    });
    expect(configFrom([], { JOBGATE_NOMAD_PORT: '14646' }).dialectPorts.nomad).toBe(14646);
    expect(() => configFrom(['serve', '--nomad-port', '70000'])).toThrow(
      /--nomad-port \/ JOBGATE_NOMAD_PORT/,
    );
    expect(() => configFrom(['serve', '--yarn-port', '8088'])).toThrow(/Unknown option '--yarn-port'/);
  });
});
