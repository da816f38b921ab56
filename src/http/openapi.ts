import { z } from 'zod';
import type { RouteEntry } from './api-router.ts';
import { mediaTypeOf } from './middleware/body.ts';
import { operation } from './operation.ts';
import type { RouteKit } from './route-kit.ts';
import { errorSchema } from './schemas.ts';

/**
 * OpenAPI 3.1 generated from the route table: the same zod schemas validate requests and describe
 * them (z.toJSONSchema, JSON Schema 2020-12, which OpenAPI 3.1 uses as is).
 */

type JsonSchema = Record<string, unknown>;

function jsonSchema(schema: z.ZodType): JsonSchema {
  const converted = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  delete converted.$schema;
  return converted;
}

/** /v1/devices/:imei/reports -> /v1/devices/{imei}/reports */
export function openApiPath(koaPath: string): string {
  return koaPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function objectShape(schema: z.ZodType | undefined): Record<string, z.ZodType> {
  if (!schema) return {};
  const shape = (schema as unknown as { shape?: Record<string, z.ZodType> }).shape;
  return shape ?? {};
}

function parametersOf(route: RouteEntry): JsonSchema[] {
  const parameters: JsonSchema[] = [];
  for (const [name, schema] of Object.entries(objectShape(route.operation.params))) {
    parameters.push({ name, in: 'path', required: true, schema: jsonSchema(schema) });
  }
  for (const [name, schema] of Object.entries(objectShape(route.operation.query))) {
    const optional = schema.safeParse(undefined).success;
    parameters.push({ name, in: 'query', required: !optional, schema: jsonSchema(schema) });
  }
  return parameters;
}

const ERROR_RESPONSES: Record<string, string> = {
  '400': 'invalid request: details.issues names each field',
  '401': 'missing or wrong API key',
  '403': "the key's role may not call this route",
  '404': 'not found',
  '413': 'body too large',
  '415': 'wrong content type',
  '422': 'well-formed but refused (unknown profile, duplicate ...)',
  '429': 'rate limited (per key)',
  '503': 'Redis, the queue or the store is unavailable: nothing was recorded; retry',
};

function operationObject(route: RouteEntry): JsonSchema {
  const op = route.operation;
  const responses: Record<string, unknown> = {};
  const content = op.response.schema
    ? { [op.response.contentType ?? 'application/json']: { schema: jsonSchema(op.response.schema) } }
    : op.response.contentType
      ? { [op.response.contentType]: { schema: { type: 'string' } } }
      : undefined;
  responses[String(op.response.status)] = {
    description: op.response.description,
    ...(content ? { content } : {}),
  };
  const errorContent = { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } };
  for (const [status, description] of Object.entries(ERROR_RESPONSES)) {
    if ((status === '401' || status === '403' || status === '429') && route.role === null) continue;
    if (status === '413' || status === '415') if (!op.body) continue;
    responses[status] = { description, content: errorContent };
  }
  const result: JsonSchema = {
    operationId: op.operationId,
    summary: op.summary,
    tags: [op.tag],
    parameters: parametersOf(route),
    responses,
    security: route.role === null ? [] : [{ bearerAuth: [] }],
    'x-required-role': route.role,
  };
  if (op.description) result.description = op.description;
  if (route.clientCertUnder.length > 0) {
    result['x-client-certificate'] =
      `required when http.tls.clientAuth is ${route.clientCertUnder.join(' or ')}`;
  }
  if (op.body) {
    result.requestBody = {
      required: true,
      content: { [mediaTypeOf(op.bodyKind ?? 'json')]: { schema: jsonSchema(op.body) } },
    };
  }
  return result;
}

export function buildOpenApiDocument(routes: readonly RouteEntry[]): JsonSchema {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = openApiPath(route.path);
    paths[path] ??= {};
    paths[path][route.method.toLowerCase()] = operationObject(route);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'otagw API',
      version: 'v1',
      description:
        'OTA provisioning gateway: network triggers, customer care, SMSC operations and administration. ' +
        'Errors are { error: { code, message, details } }. Roles: network, care, operator, admin (admin may call everything).',
    },
    servers: [{ url: '/' }],
    tags: ['network', 'care', 'operator', 'admin', 'operations'].map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'otagw API key' } },
      schemas: { Error: jsonSchema(errorSchema) },
    },
  };
}

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

/** A readable page without any script or CDN: one section per tag, one block per operation. */
export function renderDocsPage(document: JsonSchema): string {
  const paths = document.paths as Record<string, Record<string, JsonSchema>>;
  const byTag = new Map<string, string[]>();
  for (const [path, methods] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const tag = (op.tags as string[])[0];
      const role = op['x-required-role'] === null ? 'open' : `role ${String(op['x-required-role'])}`;
      const params = (op.parameters as JsonSchema[])
        .map(
          (p) =>
            `<li><code>${escapeHtml(String(p.name))}</code> (${String(p.in)}${p.required ? ', required' : ''})</li>`,
        )
        .join('');
      const body = op.requestBody
        ? `<details><summary>request body</summary><pre>${escapeHtml(JSON.stringify(op.requestBody, null, 2))}</pre></details>`
        : '';
      const responses = `<details><summary>responses</summary><pre>${escapeHtml(JSON.stringify(op.responses, null, 2))}</pre></details>`;
      const block =
        `<section id="${escapeHtml(String(op.operationId))}"><h3><span class="m">${method.toUpperCase()}</span> ` +
        `<code>${escapeHtml(path)}</code> <small>${escapeHtml(role)}</small></h3>` +
        `<p>${escapeHtml(String(op.summary))}</p>${op.description ? `<p>${escapeHtml(String(op.description))}</p>` : ''}` +
        `${params ? `<ul>${params}</ul>` : ''}${body}${responses}</section>`;
      byTag.set(tag, [...(byTag.get(tag) ?? []), block]);
    }
  }
  const sections = [...byTag]
    .map(([tag, blocks]) => `<h2>${escapeHtml(tag)}</h2>${blocks.join('')}`)
    .join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>otagw API</title>
<style>body{font:15px/1.45 system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em;color:#222}
section{border-top:1px solid #ddd;padding:.4em 0}.m{display:inline-block;min-width:4em;font-family:monospace}
small{color:#666;font-weight:normal}pre{background:#f6f6f6;padding:.6em;overflow:auto;font-size:12px}</style></head>
<body><h1>otagw API v1</h1><p>${escapeHtml(String((document.info as JsonSchema).description))}</p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p>${sections}</body></html>`;
}

const openApiOperation = operation({
  operationId: 'docs.openapi',
  tag: 'operations',
  summary: 'This API as an OpenAPI 3.1 document',
  response: { status: 200, description: 'the document', contentType: 'application/json' },
});

const docsOperation = operation({
  operationId: 'docs.page',
  tag: 'operations',
  summary: 'This API as a readable page',
  response: { status: 200, description: 'HTML', contentType: 'text/html' },
});

export function openApiRoutes({ api, open, validate }: RouteKit): void {
  let cached: JsonSchema | undefined;
  const documentNow = (): JsonSchema => (cached ??= buildOpenApiDocument(api.routes));
  api.get('/openapi.json', open(), validate(openApiOperation), async (ctx) => {
    ctx.body = documentNow();
  });
  api.get('/docs', open(), validate(docsOperation), async (ctx) => {
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = renderDocsPage(documentNow());
  });
}
