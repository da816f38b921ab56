#!/usr/bin/env node
// Container health check (Dockerfile HEALTHCHECK): exit 0 when the gateway's GET /healthz answers 200
// within 3 s, else 1. Plain JavaScript on node: built-ins only (no tsx, no curl in slim images), so it
// costs a few milliseconds every interval.
//   node bin/healthcheck.js          https://127.0.0.1:$PORT/healthz when OTAGW_TLS_DIR is set (trusting
//                                    only $OTAGW_TLS_DIR/ca.cert.pem; /healthz needs no client
//                                    certificate), else http://127.0.0.1:$PORT/healthz (PORT default 8080)
//   node bin/healthcheck.js URL      that URL instead (e.g. the SMSC simulator's control API), with
//                                    `Authorization: Bearer $OTAGW_SMSC_SIM_CONTROL_TOKEN` when that is set
//                                    (the simulator's control token, as `otagw smsc-sim` takes it)
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { URL } from 'node:url';

const TIMEOUT_MS = 3000;
const env = process.env;

function target() {
  if (process.argv[2]) {
    const token = env.OTAGW_SMSC_SIM_CONTROL_TOKEN;
    return { url: new URL(process.argv[2]), headers: token ? { authorization: `Bearer ${token}` } : {} };
  }
  const port = env.PORT || '8080';
  // A wildcard listen address answers on loopback; a specific one only on itself.
  const listen = env.HOST && !['0.0.0.0', '::', '[::]'].includes(env.HOST) ? env.HOST : '127.0.0.1';
  const host = listen.includes(':') && !listen.startsWith('[') ? `[${listen}]` : listen;
  const tlsDir = env.OTAGW_TLS_DIR;
  if (!tlsDir) return { url: new URL(`http://${host}:${port}/healthz`) };
  return {
    url: new URL(`https://${host}:${port}/healthz`),
    ca: readFileSync(join(tlsDir, 'ca.cert.pem')),
  };
}

function fail(message) {
  process.stderr.write(`healthcheck: ${message}\n`);
  process.exit(1);
}

let checked;
try {
  checked = target();
} catch (error) {
  fail(error.message);
}
const { url, ca, headers } = checked;
const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
const options = { method: 'GET', timeout: TIMEOUT_MS, headers, ...(ca ? { ca } : {}) };
const req = send(url, options, (res) => {
  res.resume();
  if (res.statusCode === 200) process.exit(0);
  fail(`${url.href} answered ${res.statusCode}`);
});
req.on('timeout', () => req.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
req.on('error', (error) => fail(`${url.href}: ${error.message}`));
req.end();
