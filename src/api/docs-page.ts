// A self-contained HTML reference of the operator API (no CDN, no script), generated from the same route table
// and component schemas as the OpenAPI document: endpoints, roles, parameters, bodies and answers.
import { z } from 'zod';
import { componentId, componentSchemas } from './openapi';
import { none, type Route } from './route';

const escape = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

const schemaLink = (schema: z.ZodType): string => {
  const id = componentId(schema);
  return `<a href="#schema-${id}">${id}</a>`;
};

function parameterRows(schema: z.ZodType, where: string): string[] {
  if (Object.is(schema, none) || !(schema instanceof z.ZodObject)) return [];
  return Object.entries(schema.shape).flatMap(([name, field]) =>
    field instanceof z.ZodType
      ? [`<tr><td><code>${escape(name)}</code></td><td>${where}</td><td>${escape(field.description ?? '')}</td></tr>`]
      : [],
  );
}

function endpoint(route: Route): string {
  const rows = [...parameterRows(route.params, 'path'), ...parameterRows(route.query, 'query')];
  const answers = route.responses.map(
    (r) =>
      `<li><b>${r.status}</b> ${escape(r.description)}${r.schema ? ` — ${schemaLink(r.schema)}` : r.contentType ? ` (${r.contentType})` : ''}</li>`,
  );
  return `<section class="endpoint">
<h3><span class="method ${route.method}">${route.method.toUpperCase()}</span> <code>/api/v1${escape(route.path)}</code></h3>
<p>${escape(route.summary)}${route.role ? ` <span class="role">${route.role}</span>` : ' <span class="role">public</span>'}</p>
${route.description ? `<p>${escape(route.description)}</p>` : ''}
${rows.length ? `<table><tr><th>parameter</th><th>in</th><th></th></tr>${rows.join('')}</table>` : ''}
${route.body ? `<p>Body: ${schemaLink(route.body)}</p>` : ''}
<ul>${answers.join('')}</ul>
</section>`;
}

export function docsPage(routes: readonly Route[], version: string): string {
  const tags = [...new Set(routes.map((r) => r.tag))];
  const schemas = Object.entries(componentSchemas()).map(
    ([id, schema]) => `<section id="schema-${id}"><h3>${id}</h3><pre>${escape(JSON.stringify(schema, null, 2))}</pre></section>`,
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>flexbridge operator API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
code,pre{font-family:ui-monospace,monospace;font-size:13px}pre{background:#f5f5f5;padding:.75rem;overflow:auto}
.endpoint{border-top:1px solid #ddd;padding:.5rem 0}.method{display:inline-block;min-width:4rem;color:#fff;border-radius:3px;padding:0 .3rem;text-align:center}
.get{background:#2a7}.put{background:#c80}.post{background:#27c}.delete{background:#c33}.role{font-size:12px;background:#eee;border-radius:3px;padding:0 .3rem}
table{border-collapse:collapse}td,th{text-align:left;padding:.1rem .6rem .1rem 0}
</style></head><body>
<h1>flexbridge operator API <small>${escape(version)}</small></h1>
<p>Machine-readable: <a href="openapi.json">openapi.json</a> (OpenAPI 3.1). Authenticate with <code>Authorization: Bearer &lt;token&gt;</code>
(config <code>api.tokens</code>) or Basic auth (config <code>api.users</code>); the <code>read</code> role may use every GET,
<code>admin</code> everything. Errors are <code>application/problem+json</code> (RFC 9457); validation errors list each field in
<code>errors</code>. Times are ISO 8601 UTC, currents amps per phase.</p>
<p>Events: <code>GET /api/v1/events</code> streams <code>session.started</code>, <code>session.ended</code>, <code>station.online</code>,
<code>station.offline</code>, <code>fallback.entered</code>, <code>fallback.left</code>, <code>compliance.sent</code> and <code>plan.applied</code>
as server-sent events (EventSource may pass <code>?token=</code>); webhooks (config <code>api.webhooks</code>) receive the same events,
signed with <code>X-Flexbridge-Signature: t=&lt;unix&gt;,v1=&lt;HMAC of t.body&gt;</code> (refuse a t more than 300 s off).</p>
${tags
  .map(
    (tag) =>
      `<h2>${escape(tag)}</h2>${routes
        .filter((r) => r.tag === tag)
        .map(endpoint)
        .join('\n')}`,
  )
  .join('\n')}
<h2>Schemas</h2>
${schemas.join('\n')}
</body></html>`;
}
