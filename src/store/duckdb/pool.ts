import type { DuckDBConnection, DuckDBInstance, DuckDBValue } from '@duckdb/node-api';

import { QueryTimeoutError } from '../errors.js';

/**
 * Reader connections for concurrent queries (DuckDB runs each on its own worker threads and MVCC
 * keeps them isolated from the loader's writes). Each query gets a deadline: on expiry the
 * connection is interrupted, which DuckDB honours between vectors.
 */
export class ConnectionPool {
  private readonly idle: DuckDBConnection[] = [];
  private readonly waiting: Array<(c: DuckDBConnection) => void> = [];

  private constructor(private readonly all: DuckDBConnection[]) {
    this.idle.push(...all);
  }

  static async create(instance: DuckDBInstance, size: number): Promise<ConnectionPool> {
    const conns = await Promise.all(Array.from({ length: size }, () => instance.connect()));
    return new ConnectionPool(conns);
  }

  async rows(sql: string, params: DuckDBValue[], timeoutMs: number): Promise<DuckDBValue[][]> {
    return this.with(timeoutMs, async (c) => (await c.runAndReadAll(sql, params)).getRows());
  }

  /** Run `fn` on one connection; `fn` may issue several statements (all under the one deadline). */
  async with<T>(timeoutMs: number, fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    const conn = await this.acquire();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      conn.interrupt();
    }, timeoutMs);
    try {
      return await fn(conn);
    } catch (err) {
      if (timedOut) throw new QueryTimeoutError(timeoutMs);
      throw err;
    } finally {
      clearTimeout(timer);
      this.release(conn);
    }
  }

  close(): void {
    for (const c of this.all) c.closeSync();
  }

  private acquire(): Promise<DuckDBConnection> {
    const c = this.idle.pop();
    if (c) return Promise.resolve(c);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(c: DuckDBConnection): void {
    const next = this.waiting.shift();
    if (next) next(c);
    else this.idle.push(c);
  }
}
