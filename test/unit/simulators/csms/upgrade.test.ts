// CSMS simulator's upgrade decision: identity = last path segment, percent-decoded (P4-201 §3.1 / §6.2);
// refusals; HTTP Basic auth with user = identity (security profile 1) and passwords that contain ':'.
import { basicAuthProblem, decideUpgrade } from '../../../../simulators/csms';

const open = { path: '/ocpp', refused: new Map<string, 401 | 404>(), passwords: undefined };
const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('decideUpgrade', () => {
  it('takes the percent-decoded segment after the path as identity', () => {
    expect(decideUpgrade('/ocpp/CS%2001', undefined, open)).toEqual({ accept: true, identity: 'CS 01' });
    expect(decideUpgrade('/ocpp/CS%2F01?x=1', undefined, open)).toEqual({ accept: true, identity: 'CS/01' });
    expect(decideUpgrade('/CS-1', undefined, { ...open, path: '' })).toEqual({ accept: true, identity: 'CS-1' });
  });

  it('404 outside the path, with no identity or an extra segment; 400 for broken percent-encoding', () => {
    for (const url of ['/', '/ocpp', '/ocpp/', '/ocppx/CS-1', '/ocpp/a/b'])
      expect(decideUpgrade(url, undefined, open)).toMatchObject({ status: 404 });
    expect(decideUpgrade('/ocpp/%E0%A4%A', undefined, open)).toMatchObject({ accept: false, status: 400 });
  });

  it('refused identities get their status before any credential check; 401 carries a Basic challenge', () => {
    const refused = new Map<string, 401 | 404>([
      ['CS-GONE', 404],
      ['CS-LOCKED', 401],
    ]);
    expect(decideUpgrade('/ocpp/CS-GONE', undefined, { ...open, refused })).toMatchObject({ accept: false, status: 404 });
    expect(decideUpgrade('/ocpp/CS-LOCKED', undefined, { ...open, refused })).toMatchObject({
      status: 401,
      headers: { 'WWW-Authenticate': expect.stringMatching(/^Basic/) },
    });
  });

  it('with passwords only the right Basic credentials of a known identity open the socket', () => {
    const policy = { ...open, passwords: new Map([['CS-1', 'secret:with:colons-1']]) };
    expect(decideUpgrade('/ocpp/CS-1', basic('CS-1', 'secret:with:colons-1'), policy)).toEqual({ accept: true, identity: 'CS-1' });
    expect(decideUpgrade('/ocpp/CS-1', basic('CS-1', 'other'), policy)).toMatchObject({
      status: 401,
      reason: 'station CS-1: wrong password',
    });
    expect(decideUpgrade('/ocpp/CS-2', basic('CS-2', 'x'), policy)).toMatchObject({ status: 401 });
  });
});

describe('basicAuthProblem', () => {
  it('says what is wrong with the credentials', () => {
    expect(basicAuthProblem('CS-1', basic('CS-1', 'pw'), 'pw')).toBeUndefined();
    expect(basicAuthProblem('CS-1', undefined, 'pw')).toBe('no Authorization header');
    expect(basicAuthProblem('CS-1', 'Bearer abc', 'pw')).toBe('Authorization is not Basic');
    expect(basicAuthProblem('CS-1', `Basic ${Buffer.from('no-colon').toString('base64')}`, 'pw')).toBe('Basic credentials without ":"');
    expect(basicAuthProblem('CS-1', basic('CS-2', 'pw'), 'pw')).toBe('user name is not the station identity');
    expect(basicAuthProblem('CS-1', basic('CS-1', 'pw'), undefined)).toBe('no password configured for this identity');
  });
});
