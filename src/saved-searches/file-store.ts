import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import {
  MAX_SAVED_SEARCHES,
  type SavedSearch,
  type SavedSearchInput,
  SavedSearchLimitError,
  type SavedSearchStore,
} from './store.js';

const FILE_VERSION = 1;

/**
 * Embedded saved-search store: the whole list in one JSON file in the data directory.
 *
 * A handful of small objects changed by people, not machines, so a rewrite per change is cheap and
 * keeps the file readable and easy to back up. Each write goes to a temporary file that is fsync'd
 * and renamed over the old one, then the directory is fsync'd: after a crash the file is either
 * the old list or the new one, never a torn mix. Writes are serialised in one promise chain so two
 * concurrent requests cannot lose each other's change.
 */
export class JsonFileSavedSearchStore implements SavedSearchStore {
  private items: SavedSearch[] = [];
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly file: string) {}

  async open(): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true });
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    const data = JSON.parse(text) as { version?: number; searches?: SavedSearch[] };
    if (data.version !== FILE_VERSION || !Array.isArray(data.searches)) {
      throw new Error(`${this.file}: not a saved-search file of version ${FILE_VERSION}`);
    }
    this.items = data.searches;
  }

  async list(): Promise<SavedSearch[]> {
    return [...this.items].reverse();
  }

  async get(id: string): Promise<SavedSearch | undefined> {
    return this.items.find((s) => s.id === id);
  }

  create(input: SavedSearchInput): Promise<SavedSearch> {
    return this.serialised(async () => {
      if (this.items.length >= MAX_SAVED_SEARCHES) {
        throw new SavedSearchLimitError(`at most ${MAX_SAVED_SEARCHES} saved searches; delete some first`);
      }
      // 12 random bytes: unguessable enough that a shared link does not enumerate the others.
      const saved: SavedSearch = {
        id: randomBytes(12).toString('base64url'),
        ...input,
        createdAt: new Date().toISOString(),
      };
      await this.persist([...this.items, saved]);
      return saved;
    });
  }

  delete(id: string): Promise<boolean> {
    return this.serialised(async () => {
      const next = this.items.filter((s) => s.id !== id);
      if (next.length === this.items.length) return false;
      await this.persist(next);
      return true;
    });
  }

  async close(): Promise<void> {
    await this.chain.catch(() => undefined);
  }

  /** Memory changes only after the file did, so a failed write leaves both as they were. */
  private async persist(next: SavedSearch[]): Promise<void> {
    const tmp = `${this.file}.${process.pid}.tmp`;
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(`${JSON.stringify({ version: FILE_VERSION, searches: next }, null, 1)}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, this.file);
    const dir = await open(path.dirname(this.file), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
    this.items = next;
  }

  private serialised<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }
}
