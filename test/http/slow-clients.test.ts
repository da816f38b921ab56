/** Issue 15 #13: a client that trickles its headers or its body is cut off within the configured times. */
import { connect, type Socket } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { listen, type ListeningServer } from '../../src/http/server.ts';

let server: ListeningServer | undefined;
afterEach(async () => {
  await server?.close(100);
  server = undefined;
});

/** Writes `parts` and resolves with what the server answered and how long until it closed the socket. */
function slowClient(
  url: string,
  first: string,
): Promise<{ answer: string; closedAfterMs: number; socket: Socket }> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect(Number(port), '127.0.0.1', () => socket.write(first));
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve({ answer, closedAfterMs: Date.now() - started, socket }));
  });
}

it('cuts off a client that has not finished its headers after headersTimeoutMs (408)', async () => {
  server = await listen((_req, res) => res.end('ok'), {
    host: '127.0.0.1',
    port: 0,
    tls: undefined,
    headersTimeoutMs: 1_000,
    requestTimeoutMs: 5_000,
  });
  const { answer, closedAfterMs } = await slowClient(server.url, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n');
  expect(answer).toMatch(/^HTTP\/1\.1 408/);
  expect(closedAfterMs).toBeGreaterThanOrEqual(900);
  expect(closedAfterMs).toBeLessThan(3_500);
}, 10_000);

it('cuts off a body that never arrives whole after requestTimeoutMs', async () => {
  server = await listen(
    (req, res) => {
      req.resume();
      req.on('end', () => res.end('ok'));
    },
    { host: '127.0.0.1', port: 0, tls: undefined, headersTimeoutMs: 1_000, requestTimeoutMs: 2_000 },
  );
  const head =
    'POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"a":';
  const { answer, closedAfterMs } = await slowClient(server.url, head);
  expect(answer).toMatch(/^HTTP\/1\.1 408/);
  expect(closedAfterMs).toBeGreaterThanOrEqual(1_900);
  expect(closedAfterMs).toBeLessThan(4_500);
}, 10_000);
