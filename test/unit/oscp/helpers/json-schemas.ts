// The official OSCP 2.0 JSON schemas (test/fixtures/oscp-2.0-schemas, a copy of shared/spec) loaded into ajv, to check bodies we send.
// Two files carry an `$id` that differs from how others `$ref` them; both names are registered.
import fs from 'node:fs';
import path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

export const SCHEMA_DIR = path.resolve(__dirname, '../../../fixtures/oscp-2.0-schemas');
const BASE = 'http://www.openchargealliance.org/schemas/oscp/2.0/';

function load(): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  for (const file of fs.readdirSync(SCHEMA_DIR).filter((f) => f.endsWith('.json'))) {
    const schema: unknown = JSON.parse(fs.readFileSync(path.join(SCHEMA_DIR, file), 'utf8'));
    if (typeof schema !== 'object' || schema === null) continue;
    // Register under the file name: register.json refers to `version-url.json`, whose $id says `version_url.json`.
    ajv.addSchema({ ...schema, $id: BASE + file });
  }
  return ajv;
}

let ajv: Ajv | undefined;

/** Validator of one schema file, e.g. `handshake-acknowledge`. */
export function wireSchema(name: string): ValidateFunction {
  ajv ??= load();
  const validate = ajv.getSchema(`${BASE}${name}.json`);
  if (!validate) throw new Error(`no OSCP schema ${name}.json in ${SCHEMA_DIR}`);
  return validate;
}

/** Throws with ajv's errors when `body` does not validate against schema `name`. */
export function expectWireValid(name: string, body: unknown): void {
  const validate = wireSchema(name);
  if (!validate(body)) throw new Error(`${name}: ${JSON.stringify(validate.errors)}\nbody: ${JSON.stringify(body)}`);
}
