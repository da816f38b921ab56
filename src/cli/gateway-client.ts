import {
  callLocalAdmin,
  findLocalAdmin,
  DEFAULT_VAR_DIR,
  type LocalAdminEndpoint,
} from '../auth/local-admin.ts';

/**
 * How CLI commands talk to a running gateway's API: the endpoint the server publishes in
 * var/run/api.json (its URL and, under HTTPS, the fingerprint its certificate is pinned to; see
 * src/auth/local-admin.ts), and one JSON request at a time. `otagw keys` sends the local admin secret,
 * `otagw campaign` an API key; both get the API's `{ error: { code, message, details } }` as an error.
 */

/** The API answered with a status outside 2xx; `code` and `message` are the API's own. */
export class GatewayApiError extends Error {
  override readonly name = 'GatewayApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    readonly apiMessage: string,
    readonly details: unknown,
  ) {
    super(`${code}: ${apiMessage}`);
  }
}

/** The running gateway's endpoint, or an error that says how to get one. */
export async function requireGateway(varDir: string = DEFAULT_VAR_DIR): Promise<LocalAdminEndpoint> {
  const endpoint = await findLocalAdmin(varDir);
  if (endpoint) return endpoint;
  throw new Error(
    `no running gateway published its endpoint in ${varDir}/run/api.json; ` +
      'start it (otagw start) or say where its var directory is (--var DIR)',
  );
}

export interface GatewayRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  headers: Record<string, string>;
  body?: unknown;
}

/**
 * The issues of a validation error's details (`{ issues: [{ field, message }] }`) that its message does
 * not already name: the API's message names the first and counts the rest.
 */
function describeDetails(details: unknown, message: string): string {
  const issues = (details as { issues?: unknown } | undefined)?.issues ?? details;
  if (!Array.isArray(issues)) return '';
  const lines = issues
    .filter((issue): issue is { field: string; message?: string } => typeof issue?.field === 'string')
    .map((issue) => `${issue.field}: ${issue.message ?? ''}`.trim())
    .filter((line) => !message.includes(line));
  return lines.length > 0 ? ` (${lines.join('; ')})` : '';
}

/** One request; the parsed JSON answer, or a GatewayApiError carrying the API's code and message. */
export async function callGateway(endpoint: LocalAdminEndpoint, request: GatewayRequest): Promise<unknown> {
  const hasBody = request.body !== undefined;
  let response;
  try {
    response = await callLocalAdmin(
      endpoint,
      request.method,
      request.path,
      { ...request.headers, ...(hasBody ? { 'Content-Type': 'application/json' } : {}) },
      hasBody ? JSON.stringify(request.body) : undefined,
    );
  } catch (error) {
    if (error instanceof SyntaxError)
      throw new Error(`the gateway at ${endpoint.url} did not answer JSON`, { cause: error });
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(`cannot reach the gateway at ${endpoint.url}${code ? ` (${code})` : ''}`, {
      cause: error,
    });
  }
  if (response.status >= 200 && response.status <= 299) return response.body;
  const payload = response.body as { error?: { code?: string; message?: string; details?: unknown } };
  const error = new GatewayApiError(
    response.status,
    payload?.error?.code ?? `HTTP_${response.status}`,
    payload?.error?.message ?? '',
    payload?.error?.details,
  );
  error.message += describeDetails(error.details, error.message);
  throw error;
}
