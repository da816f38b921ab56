/**
 * A worker's own GET /metrics (worker.metricsPort), so Prometheus can scrape every worker of a scaled-out
 * deployment: its bind gauges, submit timings and receipts live in its process. Nothing else is served;
 * the worker role has no HTTP API.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface WorkerMetricsServer {
  url: string;
  close(): Promise<void>;
}

export async function serveWorkerMetrics(
  registry: Registry,
  host: string,
  port: number,
): Promise<WorkerMetricsServer> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' || path !== '/metrics') {
      response.writeHead(404, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({ error: { code: 'NOT_FOUND', message: 'only GET /metrics here', details: {} } }),
      );
      return;
    }
    registry.metrics().then(
      (text) => {
        response.writeHead(200, { 'content-type': registry.contentType });
        response.end(text);
      },
      (error: unknown) => {
        response.writeHead(500, { 'content-type': 'application/json' });
        const message = (error as Error).message;
        response.end(JSON.stringify({ error: { code: 'INTERNAL', message, details: {} } }));
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
