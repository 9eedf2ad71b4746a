import type { Readable } from 'node:stream';

export interface Batch {
  /** The NDJSON body to send. */
  body: string;
  /** 1-based input line number of each record in the batch, for error messages. */
  lines: number[];
  /** Input bytes consumed up to the end of this batch (progress). */
  bytesRead: number;
}

/**
 * Streams NDJSON from `input` in batches of at most `maxRecords` records or about `maxBytes`
 * bytes, without holding more than one batch and one partial line in memory. Blank lines are
 * skipped; CRLF endings are accepted.
 */
export async function* ndjsonBatches(
  input: Readable,
  maxRecords: number,
  maxBytes: number,
): AsyncGenerator<Batch> {
  let partial = '';
  let lineNo = 0;
  let bytesRead = 0;
  let body: string[] = [];
  let lines: number[] = [];
  let size = 0;
  const take = (raw: string): Batch | undefined => {
    lineNo++;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') return undefined;
    body.push(line);
    lines.push(lineNo);
    size += line.length + 1;
    if (body.length >= maxRecords || size >= maxBytes) return flush();
    return undefined;
  };
  const flush = (): Batch => {
    const batch = { body: `${body.join('\n')}\n`, lines, bytesRead };
    body = [];
    lines = [];
    size = 0;
    return batch;
  };
  input.setEncoding('utf8');
  for await (const chunk of input as AsyncIterable<string>) {
    bytesRead += Buffer.byteLength(chunk);
    partial += chunk;
    let nl = partial.indexOf('\n');
    while (nl !== -1) {
      const batch = take(partial.slice(0, nl));
      partial = partial.slice(nl + 1);
      if (batch) yield batch;
      nl = partial.indexOf('\n');
    }
  }
  if (partial !== '') {
    const batch = take(partial);
    if (batch) yield batch;
  }
  if (body.length > 0) yield flush();
}
