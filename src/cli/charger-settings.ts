// What a field engineer types into a charger to point it at flexbridge: the CSMS URL, identity, password, security
// profile, the 1.6 AuthorizationKey form, and in Local Controller mode what the CPO's CSMS must be told.
import { randomInt } from 'node:crypto';
import type { OcppConfig } from '../config/schema';

/** OCPP passwordString allows 16–40 characters; 32 letters and digits are ~190 bits and survive any charger UI. */
const PASSWORD_LENGTH = 32;
const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';

export function generatePassword(length = PASSWORD_LENGTH): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET[randomInt(ALPHABET.length)];
  return out;
}

export interface ChargerSettings {
  readonly identity: string;
  /** The CSMS URL without the identity (what most chargers ask for), and with it. */
  readonly csmsUrl: string;
  readonly stationUrl: string;
  readonly securityProfile: 1 | 2 | 3;
  /** Basic-auth password; absent when not known here (it is stored only as a hash). */
  readonly password?: string;
  /** OCPP 1.6: ChangeConfiguration AuthorizationKey takes the password as hex. */
  readonly authorizationKeyHex?: string;
  /** OCPP 2.0.1 device-model variables that carry the same settings. */
  readonly deviceModel: Readonly<Record<string, string>>;
  /** Local Controller mode: the CPO's CSMS sees this station at this URL with these credentials. */
  readonly upstream?: { readonly url: string; readonly credentials: string; readonly note: string };
  readonly notes: readonly string[];
}

export interface SettingsInput {
  readonly identity: string;
  readonly password?: string;
  /** How the CSMS is reached from the charger; derived from `ocpp` when absent. */
  readonly csmsUrl?: string;
  readonly ocpp?: Pick<OcppConfig, 'host' | 'port' | 'path' | 'securityProfile' | 'upstream'>;
}

export function chargerSettings(input: SettingsInput): ChargerSettings {
  const ocpp = input.ocpp;
  const securityProfile = ocpp?.securityProfile ?? 1;
  const host = !ocpp || ocpp.host === '0.0.0.0' || ocpp.host === '::' ? '<this host>' : ocpp.host;
  const csmsUrl = (
    input.csmsUrl ?? `${securityProfile > 1 ? 'wss' : 'ws'}://${host}:${ocpp?.port ?? 9000}${ocpp?.path ?? '/ocpp'}`
  ).replace(/\/$/, '');
  const notes: string[] = [];
  if (csmsUrl.includes('<this host>'))
    notes.push(
      'flexbridge listens on all interfaces: put the address the charger reaches it by in place of <this host> (or pass --csms-url)',
    );
  if (securityProfile === 3)
    notes.push(`security profile 3: the charger's client certificate must have CN = ${input.identity}, signed by ocpp.tls.caFile`);
  else
    notes.push(`security profile ${securityProfile}: HTTP Basic auth with user name = the identity (${input.identity}) and the password`);
  if (input.password === undefined)
    notes.push('the password is stored only as a hash: set a new one with `flexbridge station add <id> --password …` if it is lost');
  const upstream = ocpp?.upstream && {
    url: `${ocpp.upstream.url.replace(/\/$/, '')}/${encodeURIComponent(input.identity)}`,
    credentials: ocpp.upstream.credentials,
    note:
      ocpp.upstream.credentials === 'forward'
        ? `register ${input.identity} in the CPO's CSMS with the same password: flexbridge forwards the charger's own credentials`
        : `register ${input.identity} in the CPO's CSMS with the station's upstreamPassword (stations[].upstreamPassword), which flexbridge presents`,
  };
  return {
    identity: input.identity,
    csmsUrl,
    stationUrl: `${csmsUrl}/${encodeURIComponent(input.identity)}`,
    securityProfile,
    ...(input.password !== undefined && {
      password: input.password,
      authorizationKeyHex: Buffer.from(input.password, 'utf8').toString('hex'),
    }),
    deviceModel: {
      'NetworkConfiguration.OcppCsmsUrl': csmsUrl,
      'SecurityCtrlr.Identity': input.identity,
      'SecurityCtrlr.SecurityProfile': String(securityProfile),
      ...(input.password !== undefined && { 'SecurityCtrlr.BasicAuthPassword': input.password }),
    },
    ...(upstream && { upstream }),
    notes,
  };
}

/** The settings as lines for a person at the charger. */
export function settingsText(s: ChargerSettings): string {
  const lines = [
    `CSMS URL          ${s.csmsUrl}`,
    `  (with identity) ${s.stationUrl}`,
    `Identity          ${s.identity}`,
    `Security profile  ${s.securityProfile}`,
  ];
  if (s.password !== undefined) lines.push(`Password          ${s.password}`);
  if (s.authorizationKeyHex !== undefined)
    lines.push(`OCPP 1.6: ChangeConfiguration AuthorizationKey = ${s.authorizationKeyHex}  (the password as hex)`);
  lines.push('OCPP 2.0.1 device model:');
  for (const [name, value] of Object.entries(s.deviceModel)) lines.push(`  ${name} = ${value}`);
  if (s.upstream) lines.push(`Local Controller: the CSMS sees it at ${s.upstream.url}`, `  ${s.upstream.note}`);
  for (const note of s.notes) lines.push(`Note: ${note}`);
  return `${lines.join('\n')}\n`;
}
