// The OSCP 2.0 JSON schemas (test/fixtures/oscp-2.0-schemas, a copy of shared/spec) (ajv + ajv-formats) as a test oracle for bodies on the wire.
// Two files carry an $id that differs from the name other files $ref them by (version_url.json,
// update-asset-measurement.json), so every schema is registered under its file name.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

const ID_BASE = 'http://www.openchargealliance.org/schemas/oscp/2.0/';
export const SCHEMA_DIR = process.env.OSCP_SCHEMAS_DIR ?? resolve(__dirname, '../../../fixtures/oscp-2.0-schemas');

export type SchemaName =
  | 'register'
  | 'handshake'
  | 'handshake-acknowledge'
  | 'heartbeat'
  | 'update-group-capacity-forecast'
  | 'adjust-group-capacity-forecast'
  | 'group-capacity-compliance-error'
  | 'update-group-measurements';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export class OscpSchemas {
  private readonly ajv = new Ajv({ allErrors: true, strict: true });
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(dir: string = SCHEMA_DIR) {
    addFormats(this.ajv);
    const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    if (files.length === 0) throw new Error(`no OSCP 2.0 schemas in ${dir} (set OSCP_SCHEMAS_DIR)`);
    for (const file of files) {
      const schema: unknown = JSON.parse(readFileSync(join(dir, file), 'utf8'));
      if (!isRecord(schema)) throw new Error(`${file}: not a JSON schema object`);
      this.ajv.addSchema({ ...schema, $id: ID_BASE + file });
    }
  }

  /** undefined when `body` is valid, else ajv's error text. */
  errors(name: SchemaName, body: unknown): string | undefined {
    let validate = this.compiled.get(name);
    if (validate === undefined) {
      validate = this.ajv.getSchema(`${ID_BASE}${name}.json`);
      if (validate === undefined) throw new Error(`schema ${name}.json not loaded`);
      this.compiled.set(name, validate);
    }
    return validate(body) ? undefined : this.ajv.errorsText(validate.errors);
  }
}
