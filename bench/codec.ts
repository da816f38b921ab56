/**
 * Codec benchmark (issue 2): reference-cp.xml, NETWPIN, a fresh IMSI each iteration, one core.
 *   npm run bench:codec            prints a table
 *   npm run bench:codec -- --json  prints { xmlToSegmentsPerSec, compiledToSegmentsPerSec, configuration }
 *   --duration-ms N                each measurement this long (default 3000; env OTAGW_BENCH_MS)
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compileDocument, packCompiled, packXml } from '../codecs/ota/pack.ts';

const FIXTURES = fileURLToPath(new URL('../test/fixtures/', import.meta.url));
const referenceXml = readFileSync(process.env.OTAGW_BENCH_XML ?? `${FIXTURES}reference-cp.xml`, 'utf8');
const durationFlag = process.argv.indexOf('--duration-ms');
const DURATION_MS = Number(
  durationFlag >= 0 ? process.argv[durationFlag + 1] : (process.env.OTAGW_BENCH_MS ?? 3000),
);
const json = process.argv.includes('--json');

/** 15-digit IMSIs from a counter: MCC/MNC 001/01 test network plus a 10-digit subscriber number. */
function imsiFor(counter: number): string {
  return '00101' + String(counter).padStart(10, '0');
}

function measure(
  name: string,
  run: (iteration: number) => unknown,
): { name: string; perSec: number; iterations: number } {
  let sink = 0;
  // Warm up so the JIT has settled before timing.
  for (let i = 0; i < 2000; i++) sink += (run(i) as { segments: unknown[] }).segments.length;
  let iterations = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(DURATION_MS) * 1_000_000n;
  let now = start;
  while (now < deadline) {
    for (let i = 0; i < 200; i++) sink += (run(iterations++) as { segments: unknown[] }).segments.length;
    now = process.hrtime.bigint();
  }
  const seconds = Number(now - start) / 1e9;
  if (sink < 0) console.log(sink); // keep the work observable
  return { name, perSec: Math.round(iterations / seconds), iterations };
}

const compiled = compileDocument(referenceXml);
const sample = packCompiled(compiled, { imsi: imsiFor(0) });

const xmlToSegments = measure('XML text -> signed segments', (i) =>
  packXml(referenceXml, { sec: 'NETWPIN', imsi: imsiFor(i) }),
);
const compiledToSegments = measure('pre-compiled profile -> signed segments', (i) =>
  packCompiled(compiled, { sec: 'NETWPIN', imsi: imsiFor(i) }),
);

if (json) {
  console.log(
    JSON.stringify({
      xmlToSegmentsPerSec: xmlToSegments.perSec,
      compiledToSegmentsPerSec: compiledToSegments.perSec,
      configuration: {
        document: `test/fixtures/reference-cp.xml, ${referenceXml.length} chars -> WBXML ${sample.wbxml.length} octets, ${sample.segments.length} segments`,
        security: 'NETWPIN, a fresh IMSI per push',
        durationMs: DURATION_MS,
        thread: 'one (the main thread)',
        node: process.version,
      },
    }),
  );
} else {
  console.log(
    `document: reference-cp.xml, ${referenceXml.length} chars -> WBXML ${sample.wbxml.length} octets, ` +
      `WSP ${sample.wsp.length} octets, ${sample.segments.length} segments; NETWPIN, fresh IMSI per push`,
  );
  console.log('');
  const rows = [
    ['path', 'pushes/s', 'µs/push', 'target'],
    [xmlToSegments.name, String(xmlToSegments.perSec), (1e6 / xmlToSegments.perSec).toFixed(1), '>= 10,000'],
    [
      compiledToSegments.name,
      String(compiledToSegments.perSec),
      (1e6 / compiledToSegments.perSec).toFixed(1),
      '>= 100,000',
    ],
  ];
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  for (const [index, row] of rows.entries()) {
    console.log(row.map((cell, column) => cell.padEnd(widths[column])).join('  '));
    if (index === 0) console.log(widths.map((width) => '-'.repeat(width)).join('  '));
  }
}
