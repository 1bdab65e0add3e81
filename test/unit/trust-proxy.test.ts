import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { throttleAddress } from '../../src/http/sessions.ts';

const trustProxy = (value: string | undefined) => loadConfig({ TRUST_PROXY: value }).trustProxy;

describe('TRUST_PROXY', () => {
  it("is Fastify's trustProxy: true, a hop count, or proxies' addresses and ranges; unset trusts no proxy", () => {
    expect(trustProxy(undefined)).toBe(false);
    expect(trustProxy('')).toBe(false);
    expect(trustProxy('false')).toBe(false);
    expect(trustProxy('true')).toBe(true);
    expect(trustProxy('2')).toBe(2);
    expect(trustProxy('10.0.0.5, 10.1.0.0/16,::1,fd00::/8,loopback')).toEqual(['10.0.0.5', '10.1.0.0/16', '::1', 'fd00::/8', 'loopback']);
  });

  it('refuses what is none of those, naming the entry and the accepted forms', () => {
    for (const bad of ['yes', '10.0.0.0/33', '10.0.0.256', 'proxy.example.com', '10.0.0.1,,10.0.0.2', '-1', '1.5']) {
      let caught: unknown;
      try {
        trustProxy(bad);
      } catch (err) {
        caught = err;
      }
      expect(caught, bad).toBeInstanceOf(ConfigError);
      expect((caught as ConfigError).message, bad).toMatch(/^TRUST_PROXY: .*(true|whole number)/);
    }
  });
});

describe('the address the sign-in throttle counts', () => {
  it('is the IPv4 address (also when mapped into IPv6), or the /64 of an IPv6 address', () => {
    expect(throttleAddress('203.0.113.7')).toBe('203.0.113.7');
    expect(throttleAddress('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(throttleAddress('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(throttleAddress('2001:db8:1:2:bbbb:cccc:dddd:eeee')).toBe('2001:db8:1:2::/64');
    expect(throttleAddress('2001:db8:1:3::1')).not.toBe(throttleAddress('2001:db8:1:2::1'));
  });
});
