import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

describe('configuration (SPEC §12)', () => {
  it('has the spec defaults', () => {
    const c = loadConfig({});
    expect(c.port).toBe(8080);
    expect(c.dataDir.endsWith('/data')).toBe(true);
    expect(c.databaseUrl).toBeUndefined();
    expect(c.adminToken).toBeUndefined();
    expect(c.testClock).toBe(false);
    expect(c.demo).toBe(true); // on for the embedded database
    expect(c.smtpUrl).toBeUndefined();
    expect(c.balanceThresholdCents).toBe(10000);
    expect(c.rateLimit).toMatchObject({
      readsPerSecond: 100,
      writesPerSecond: 100,
      loginsPerMinute: 10,
      signupsPerHour: 10,
    });
  });

  it('demo is off by default on PostgreSQL', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://u@localhost/db' }).demo).toBe(false);
  });

  it('reads every variable', () => {
    const c = loadConfig({
      PORT: '0',
      DATA_DIR: '/tmp/x',
      DATABASE_URL: 'postgresql://u@h:5432/d',
      ORDERDESK_ADMIN_TOKEN: 'a-long-enough-admin-token',
      ORDERDESK_TEST_CLOCK: '1',
      ORDERDESK_DEMO: 'on',
      SMTP_URL: 'smtp://mail.local:2525',
    });
    expect(c).toMatchObject({
      port: 0,
      dataDir: '/tmp/x',
      databaseUrl: 'postgresql://u@h:5432/d',
      adminToken: 'a-long-enough-admin-token',
      testClock: true,
      demo: true,
      smtpUrl: 'smtp://mail.local:2525',
    });
  });

  it.each([
    ['PORT', 'eighty', /PORT/],
    ['PORT', '70000', /PORT/],
    ['DATABASE_URL', 'mysql://x', /DATABASE_URL/],
    ['DATABASE_URL', 'not a url', /DATABASE_URL/],
    ['ORDERDESK_TEST_CLOCK', 'maybe', /ORDERDESK_TEST_CLOCK/],
    ['ORDERDESK_DEMO', '2', /ORDERDESK_DEMO/],
    ['SMTP_URL', 'http://mail', /SMTP_URL/],
    ['ORDERDESK_ADMIN_TOKEN', 'short', /ORDERDESK_ADMIN_TOKEN/],
    ['LOG_LEVEL', 'loud', /LOG_LEVEL/],
  ])('a bad %s (%s) stops the start with a message naming it', (name, value, pattern) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(pattern);
  });
});
