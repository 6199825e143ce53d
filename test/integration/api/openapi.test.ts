// The OpenAPI 3.1 document served at /api/v1/openapi.json validates (swagger-parser), documents every route the
// router answers, with its security and problem answers, and the webhooks; /docs lists the same endpoints.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../helpers/processes';
import { call, startRig, type Rig } from './harness';

/**
 * swagger-parser's reference resolver is published as ES modules, which jest's CommonJS runtime cannot load:
 * it runs in a plain Node child process instead. Resolves with its error output ('' when the document is valid).
 */
function validateOpenApi(file: string): Promise<string> {
  const script = `import SwaggerParser from '@apidevtools/swagger-parser';
try { await SwaggerParser.validate(${JSON.stringify(file)}); } catch (error) { console.error(error.message); process.exit(1); }`;
  return new Promise((resolve) => {
    execFile(process.execPath, ['--input-type=module', '-e', script], { cwd: REPO_ROOT, timeout: 30_000 }, (error, _stdout, stderr) =>
      resolve(error ? stderr || String(error) : ''),
    );
  });
}

const OPERATIONS = [
  'get /connection-attempts',
  'get /event-log',
  'get /groups',
  'get /groups/{id}',
  'get /groups/{id}/forecasts',
  'get /groups/{id}/plan',
  'get /groups/{id}/history',
  'get /stations',
  'get /stations/{id}',
  'put /stations/{id}',
  'delete /stations/{id}',
  'get /stations/{id}/trace',
  'put /stations/{id}/trace',
  'post /stations/{id}/actions',
  'post /stations/{id}/ocpp',
  'get /sessions',
  'get /sessions/{id}',
  'get /peers',
  'post /peers/{id}/register',
  'post /peers/{id}/handshake',
  'get /overrides',
  'post /overrides',
  'delete /overrides',
  'get /events',
  'get /openapi.json',
  'get /docs',
];

interface Operation {
  security: unknown[];
  responses: Record<string, { content?: Record<string, { schema: { $ref?: string } }> }>;
  requestBody?: unknown;
  parameters: { name: string; in: string; required: boolean }[];
}

describe('operator API — OpenAPI document', () => {
  let rig: Rig;
  let doc: {
    openapi: string;
    paths: Record<string, Record<string, Operation>>;
    webhooks: Record<string, unknown>;
    components: { schemas: Record<string, unknown> };
  };
  beforeAll(async () => {
    rig = await startRig({ autoRegister: false });
    doc = (await call(rig, 'get', '/openapi.json', { token: null })).data;
  });
  afterAll(async () => {
    await rig.close();
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    expect(doc.openapi).toBe('3.1.0');
    const file = path.join(rig.dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(doc));
    expect(await validateOpenApi(file)).toBe('');
    // The validator does catch a broken document.
    writeFileSync(file, JSON.stringify({ ...doc, paths: { '/x': { get: { responses: { '200': { content: 'no' } } } } } }));
    expect(await validateOpenApi(file)).not.toBe('');
  });

  it('documents every route, with its credentials and problem answers', () => {
    const operations = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m} ${path}`));
    expect(operations.sort()).toEqual([...OPERATIONS].sort());
    const plan = doc.paths['/groups/{id}/plan']!.get!;
    expect(plan.responses['200']?.content?.['application/json']?.schema.$ref).toBe('#/components/schemas/Plan');
    expect(plan.responses['404']?.content?.['application/problem+json']?.schema.$ref).toBe('#/components/schemas/Problem');
    expect(Object.keys(plan.responses).sort()).toEqual(['200', '400', '401', '403', '404']);
    expect(plan.security).toEqual([{ bearerAuth: [] }, { basicAuth: [] }]);
    expect(doc.paths['/openapi.json']!.get!.security).toEqual([]);
    expect(doc.paths['/events']!.get!.security).toContainEqual({ tokenQuery: [] });
    const sessions = doc.paths['/sessions']!.get!;
    expect(sessions.parameters.map((p) => `${p.in}:${p.name}:${p.required}`)).toEqual([
      'query:state:false',
      'query:groupId:false',
      'query:stationId:false',
      'query:limit:false',
      'query:cursor:false',
    ]);
    expect(sessions.responses['200']?.content?.['application/json']?.schema.$ref).toBe('#/components/schemas/SessionPage');
    expect(doc.paths['/overrides']!.post!.requestBody).toEqual({
      required: true,
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Override' } } },
    });
    expect(Object.keys(doc.webhooks).sort()).toEqual([
      'compliance.sent',
      'fallback.entered',
      'fallback.left',
      'override.expired',
      'override.removed',
      'override.set',
      'plan.applied',
      'session.ended',
      'session.started',
      'station.offline',
      'station.online',
      'station.refused',
      'station.uncontrollable',
    ]);
    for (const id of [
      'GroupSummary',
      'Plan',
      'StationDetail',
      'SessionDetail',
      'SessionPage',
      'Override',
      'StationUpsert',
      'Problem',
      'FallbackEventData',
      'OverrideEventData',
      'EventLogPage',
    ])
      expect(doc.components.schemas[id]).toBeDefined();
  });

  it('answers 404 problem+json for a path it does not have', async () => {
    const res = await call(rig, 'get', '/no/such/thing');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('serves an HTML page listing every endpoint, with no external resource', async () => {
    const page = String((await call(rig, 'get', '/docs', { token: null })).data);
    for (const operation of OPERATIONS) {
      const [method, path] = operation.split(' ');
      expect(page).toContain(`${method!.toUpperCase()}</span> <code>/api/v1${path!.replace(/\{(\w+)\}/g, ':$1')}</code>`);
    }
    expect(page).not.toMatch(/<script|https?:\/\//);
  });
});
