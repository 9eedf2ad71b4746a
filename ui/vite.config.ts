import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { defineConfig, type Plugin } from 'vite';

const OUT_DIR = path.resolve(import.meta.dirname, '../dist/ui');

/**
 * Writes `.gz` and `.br` beside each built JS/CSS/HTML/SVG file. The server sends them to browsers
 * that accept the encoding (@fastify/static `preCompressed`) without compressing per request, and
 * the printed sizes are what the 250 KB gzip budget for JavaScript is checked against.
 */
function precompress(): Plugin {
  return {
    name: 'sawmill-precompress',
    apply: 'build',
    async writeBundle(_options, bundle) {
      let jsGzip = 0;
      for (const name of [...Object.keys(bundle), 'index.html']) {
        if (!/\.(js|css|html|svg)$/.test(name)) continue;
        const file = path.join(OUT_DIR, name);
        const data = await readFile(file).catch(() => null);
        if (!data) continue;
        const gz = gzipSync(data, { level: 9 });
        await writeFile(`${file}.gz`, gz);
        await writeFile(
          `${file}.br`,
          brotliCompressSync(data, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
        );
        if (name.endsWith('.js')) jsGzip += gz.length;
      }
      process.stdout.write(`JavaScript: ${(jsGzip / 1024).toFixed(1)} KiB gzip (budget 250 KB)\n`);
    },
  };
}

export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  publicDir: 'public',
  plugins: [precompress()],
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: OUT_DIR,
    emptyOutDir: true,
    target: 'es2022',
    assetsDir: 'assets',
    // One small app: a single chunk loads in one request and the budget check stays simple.
    chunkSizeWarningLimit: 250,
  },
  // `npm run dev` in one terminal, `npx vite ui` in another: hot reload against the real API.
  server: { proxy: { '/api': 'http://127.0.0.1:3000' } },
});
