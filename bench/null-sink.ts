import http from 'node:http';

/**
 * Baseline: the ceiling for Node HTTP ingest on this machine. Reads the body, JSON-parses every
 * NDJSON line (the least any validating ingest must do), answers 200. Run as its own process,
 * like the real server. Usage: tsx bench/null-sink.ts PORT
 */
const port = Number(process.argv[2] ?? 0);
const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    let accepted = 0;
    for (const line of Buffer.concat(chunks).toString('utf8').split('\n')) {
      if (line) {
        JSON.parse(line);
        accepted++;
      }
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ accepted, rejected: 0, errors: [] }));
  });
});
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as { port: number }).port}\n`);
});
