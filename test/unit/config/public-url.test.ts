// oscp.publicBaseUrl: as configured (the real port when the listener asked for 0), or derived from the HTTP listener,
// with a warning wherever a Capacity Provider elsewhere could not call back.
import { publicBaseUrl } from '../../../src/config/public-url';

const oscp = { basePath: '/oscp/fp/2.0' };

describe('oscp.publicBaseUrl', () => {
  test('unset: derived from http.host, http.port, http.tls and oscp.basePath', () => {
    expect(publicBaseUrl({ http: { host: '127.0.0.1', port: 8080 }, oscp }, 8080)).toEqual({ url: 'http://127.0.0.1:8080/oscp/fp/2.0' });
    expect(publicBaseUrl({ http: { host: 'fb.example.com', port: 8443, tls: {} }, oscp }, 8443)).toEqual({
      url: 'https://fb.example.com:8443/oscp/fp/2.0',
    });
    expect(publicBaseUrl({ http: { host: '::1', port: 0 }, oscp }, 41234).url).toBe('http://[::1]:41234/oscp/fp/2.0');
  });

  test('unset on all interfaces: this machine’s name, and a warning to set it', () => {
    const found = publicBaseUrl({ http: { host: '0.0.0.0', port: 8080 }, oscp }, 8080, 'depot-7');
    expect(found.url).toBe('http://depot-7:8080/oscp/fp/2.0');
    expect(found.warning).toMatch(/oscp\.publicBaseUrl is not set/);
  });

  test('configured: kept, with the real port when http.port is 0; a loopback URL on all interfaces is warned about', () => {
    const configured = { ...oscp, publicBaseUrl: 'https://fb.example.com/oscp/fp/2.0' };
    expect(publicBaseUrl({ http: { host: '0.0.0.0', port: 8080 }, oscp: configured }, 8080)).toEqual({
      url: 'https://fb.example.com/oscp/fp/2.0',
    });
    const testRun = { ...oscp, publicBaseUrl: 'http://127.0.0.1:8080/oscp/fp/2.0' };
    expect(publicBaseUrl({ http: { host: '127.0.0.1', port: 0 }, oscp: testRun }, 40001)).toEqual({
      url: 'http://127.0.0.1:40001/oscp/fp/2.0',
    });
    expect(publicBaseUrl({ http: { host: '0.0.0.0', port: 8080 }, oscp: testRun }, 8080).warning).toMatch(/loopback/);
  });
});
