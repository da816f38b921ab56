/**
 * docs/architecture.md is kept true to the code: its state table lists exactly the transitions of
 * TRANSITIONS (src/provisioning/state-machine.ts) with their causes, and every repository path it
 * names exists.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TRANSITIONS } from '../../src/provisioning/state-machine.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ARCHITECTURE = readFileSync(`${ROOT}docs/architecture.md`, 'utf8');

function section(markdown: string, heading: string): string {
  const start = markdown.indexOf(`\n## ${heading}`);
  if (start < 0) throw new Error(`docs/architecture.md has no section '## ${heading}'`);
  const end = markdown.indexOf('\n## ', start + 1);
  return markdown.slice(start, end < 0 ? undefined : end);
}

interface TableRow {
  from: string;
  to: string;
  causes: string;
}

/** The rows of the first Markdown table whose header starts `| from | to |`. */
function transitionTable(text: string): TableRow[] {
  const lines = text.split('\n');
  const header = lines.findIndex((line) => /^\|\s*from\s*\|\s*to\s*\|/.test(line));
  if (header < 0) throw new Error('no "| from | to |" table in §3');
  const rows: TableRow[] = [];
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith('|')) break;
    const cells = line.split('|').map((cell) => cell.trim());
    rows.push({ from: cells[1], to: cells[2], causes: cells[3] });
  }
  return rows;
}

describe('docs/architecture.md', () => {
  const rows = transitionTable(section(ARCHITECTURE, '3.'));

  it('draws exactly the transitions of the state machine table', () => {
    const documented = rows.map((row) => `${row.from} -> ${row.to}`).sort();
    const coded = TRANSITIONS.map(({ from, to }) => `${from ?? '(new)'} -> ${to}`).sort();
    expect(documented).toEqual(coded);
  });

  it('names every cause each transition writes', () => {
    for (const transition of TRANSITIONS) {
      const row = rows.find(
        (candidate) => candidate.from === (transition.from ?? '(new)') && candidate.to === transition.to,
      );
      for (const cause of transition.causes) {
        expect(row?.causes, `${transition.from} -> ${transition.to}`).toContain(`\`${cause}\``);
      }
    }
  });

  it('names only files that exist', () => {
    const paths = new Set(
      [
        ...ARCHITECTURE.matchAll(
          /`((?:src|codecs|test|bench|config|docs|bin)\/[A-Za-z0-9_./-]+\.(?:ts|js|sql|md|yaml|csv|json))`/g,
        ),
      ].map((match) => match[1]),
    );
    expect(paths.size).toBeGreaterThan(20);
    // config/local.yaml is the site's own file, git-ignored: the document says so.
    paths.delete('config/local.yaml');
    const missing = [...paths].filter((path) => !existsSync(`${ROOT}${path}`));
    expect(missing).toEqual([]);
  });
});
