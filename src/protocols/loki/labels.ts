/**
 * A Loki stream selector as protobuf pushes carry it: `{app="demo", level="error"}` (Prometheus
 * label syntax; values are Go-quoted strings with `\"`, `\\`, `\n`, `\t` escapes).
 * Throws a LabelsError saying where the text stops making sense.
 */
export class LabelsError extends Error {}

const NAME = /[a-zA-Z_][a-zA-Z0-9_.]*/y;
const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\', "'": "'" };

export function parseLabels(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  let i = skip(text, 0);
  if (text[i] !== '{') throw new LabelsError(`labels ${JSON.stringify(text)} must start with "{"`);
  i = skip(text, i + 1);
  if (text[i] === '}') return end(text, i, out);
  for (;;) {
    NAME.lastIndex = i;
    const m = NAME.exec(text);
    if (!m) throw new LabelsError(`expected a label name at position ${i} of ${JSON.stringify(text)}`);
    const name = m[0];
    i = skip(text, i + name.length);
    if (text[i] !== '=') throw new LabelsError(`expected "=" after label ${name} at position ${i}`);
    i = skip(text, i + 1);
    if (text[i] !== '"') throw new LabelsError(`expected a quoted value for label ${name} at position ${i}`);
    let value = '';
    i++;
    for (;;) {
      if (i >= text.length) throw new LabelsError(`unterminated value for label ${name}`);
      const c = text[i]!;
      if (c === '"') break;
      if (c === '\\') {
        const e = ESCAPES[text[i + 1] ?? ''];
        if (e === undefined)
          throw new LabelsError(`unknown escape "\\${text[i + 1] ?? ''}" in label ${name}`);
        value += e;
        i += 2;
      } else {
        value += c;
        i++;
      }
    }
    out[name] = value;
    i = skip(text, i + 1);
    if (text[i] === ',') {
      i = skip(text, i + 1);
      if (text[i] === '}') return end(text, i, out);
      continue;
    }
    if (text[i] === '}') return end(text, i, out);
    throw new LabelsError(`expected "," or "}" at position ${i} of ${JSON.stringify(text)}`);
  }
}

function end(text: string, i: number, out: Record<string, string>): Record<string, string> {
  if (skip(text, i + 1) !== text.length)
    throw new LabelsError(`unexpected text after "}" in ${JSON.stringify(text)}`);
  return out;
}

function skip(text: string, i: number): number {
  while (i < text.length && (text[i] === ' ' || text[i] === '\t')) i++;
  return i;
}
