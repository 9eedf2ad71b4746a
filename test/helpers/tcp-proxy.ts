import net from 'node:net';

/**
 * A TCP proxy between a client under test and a real service, so a test can take the service
 * "away" from that client — refuse new connections, cut the open ones — without touching the
 * shared server other tests and processes use.
 */
export class TcpProxy {
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  constructor(
    private readonly targetPort: number,
    private readonly targetHost = '127.0.0.1',
  ) {}

  /** Listen (again, on the same port after `stop`). */
  async start(): Promise<number> {
    const server = net.createServer((client) => {
      const upstream = net.connect(this.targetPort, this.targetHost);
      // Either side going away closes the other at once, as a direct connection would: a
      // half-open upstream would leave the service waiting for its own timeouts.
      const both = () => {
        client.destroy();
        upstream.destroy();
      };
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => {
          this.sockets.delete(s);
          both();
        });
        s.on('error', both);
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as net.AddressInfo).port;
    return this.port;
  }

  /** Cut every open connection (the service "restarted"); new ones are still accepted. */
  cut(): void {
    for (const s of this.sockets) s.destroy();
  }

  /** Refuse new connections and cut the open ones (the service is down). */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    this.cut();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
