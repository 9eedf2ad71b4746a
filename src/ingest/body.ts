import { promisify } from 'node:util';
import { brotliDecompress, gunzip, inflate } from 'node:zlib';
import type { Limits } from '../model/limits.js';
import { ApiError } from '../server/errors.js';

const DECODERS = {
  gzip: promisify(gunzip),
  'x-gzip': promisify(gunzip),
  deflate: promisify(inflate),
  br: promisify(brotliDecompress),
};

/**
 * Undo Content-Encoding (gzip, deflate, br) with a cap on the decoded size, so a small
 * compressed body cannot expand into gigabytes of memory.
 */
export async function decodeBody(
  raw: Buffer,
  contentEncoding: string | undefined,
  limits: Limits,
): Promise<Buffer> {
  const enc = (contentEncoding ?? '').trim().toLowerCase();
  if (enc === '' || enc === 'identity') return raw;
  const decode = DECODERS[enc as keyof typeof DECODERS];
  if (!decode)
    throw new ApiError(
      'unsupported_encoding',
      `Content-Encoding ${JSON.stringify(enc)} is not supported (use gzip, deflate or br)`,
    );
  try {
    return await decode(raw, { maxOutputLength: limits.maxDecodedBodyBytes });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
      throw new ApiError(
        'body_too_large',
        `decompressed body is larger than ${limits.maxDecodedBodyBytes} bytes`,
      );
    }
    throw new ApiError('invalid_body', `body is not valid ${enc}: ${(err as Error).message}`);
  }
}

/** Gzip bodies sent without Content-Encoding (some shippers do this) start with 1f 8b. */
export function looksGzipped(raw: Buffer): boolean {
  return raw.length > 2 && raw[0] === 0x1f && raw[1] === 0x8b;
}
