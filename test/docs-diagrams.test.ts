import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// The Mermaid diagrams in the documentation render on GitHub only if they parse; a renderer is too
// heavy for the suite, so this catches the usual slips: a diagram type Mermaid doesn't know, a
// bracket left open, a label's quote left open.

const root = path.resolve(import.meta.dirname, '..');
const TYPES = ['flowchart', 'graph', 'sequenceDiagram', 'stateDiagram-v2', 'classDiagram', 'erDiagram'];
const CLOSES: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
// Arrows whose heads look like brackets: async messages (`-)`, `--)`) and ER cardinalities (`}o--||`).
const BRACKET_ARROWS = /--?\)|[}|][o|](?:--|\.\.)[o|][{|]/g;

/** What is wrong with one diagram's source (empty when nothing is). */
function problemsOf(source: string): string[] {
  const lines = source.split('\n');
  const first = lines.find((l) => l.trim() !== '' && !l.trim().startsWith('%%'))?.trim() ?? '';
  const problems = TYPES.includes(first.split(/\s/)[0]!) ? [] : [`starts with "${first}", not a known type`];
  const open: Array<{ bracket: string; line: number }> = [];
  lines.forEach((text, i) => {
    if (text.trim().startsWith('%%')) return;
    const line = text.replace(BRACKET_ARROWS, '');
    if ((line.match(/"/g)?.length ?? 0) % 2 !== 0) problems.push(`line ${i + 1}: a quote left open`);
    // Brackets inside a quoted label are text.
    for (const c of line.replace(/"[^"]*"/g, '')) {
      if ('([{'.includes(c)) open.push({ bracket: c, line: i + 1 });
      else if (c in CLOSES && open.pop()?.bracket !== CLOSES[c])
        problems.push(`line ${i + 1}: "${c}" closes nothing`);
    }
  });
  return [...problems, ...open.map((o) => `line ${o.line}: "${o.bracket}" never closed`)];
}

const documents = [
  'README.md',
  ...readdirSync(path.join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
const diagrams = documents.flatMap((doc) =>
  [...readFileSync(path.join(root, doc), 'utf8').matchAll(/```mermaid\n([\s\S]*?)```/g)].map(
    (m, i) => [`${doc} diagram ${i + 1}`, m[1]!] as const,
  ),
);

describe('Mermaid diagrams', () => {
  it('docs/architecture.md has its diagrams', () => {
    expect(
      diagrams.filter(([name]) => name.startsWith('docs/architecture.md')).length,
    ).toBeGreaterThanOrEqual(4);
  });

  it.each(diagrams)('%s has a known type and balanced brackets and quotes', (_name, source) => {
    expect(problemsOf(source)).toEqual([]);
  });

  it('the check itself refuses an unknown type, an open bracket, a stray one and an open quote', () => {
    expect(problemsOf('flowchart LR\n  a["x (y)"] --> b[(db)]\n  c -.->|"ok"| d')).toEqual([]);
    expect(problemsOf('sequenceDiagram\n  A-)B: async\n  A--)B: too')).toEqual([]);
    expect(problemsOf('erDiagram\n  USER ||--o{ ORDER : places')).toEqual([]);
    expect(problemsOf('flowhcart LR\n  a --> b')).toEqual(['starts with "flowhcart LR", not a known type']);
    expect(problemsOf('graph TD\n  a[open --> b')).toEqual(['line 2: "[" never closed']);
    expect(problemsOf('graph TD\n  a] --> b')).toEqual(['line 2: "]" closes nothing']);
    expect(problemsOf('graph TD\n  a["open] --> b')).toEqual(['line 2: a quote left open']);
  });
});
