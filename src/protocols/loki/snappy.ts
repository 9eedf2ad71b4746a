import { uncompress } from 'snappy';
import type { Limits } from '../../model/limits.js';
import { ApiError } from '../../server/errors.js';

/**
 * Loki protobuf bodies are snappy *block* format (not framed) with no Content-Encoding header.
 * The block starts with its decoded length as a varint: checked against the decoded-body limit
 * before anything is allocated, so a small body cannot claim gigabytes.
 */
export async function unsnappy(body: Buffer, limits: Limits): Promise<Buffer> {
  let length = 0;
  let shift = 0;
  let i = 0;
  for (; i < Math.min(body.length, 5); i++) {
    const b = body[i]!;
    length += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if ((b & 0x80) === 0) break;
  }
  if (body.length === 0 || i === Math.min(body.length, 5)) {
    throw new ApiError(
      'invalid_body',
      'protobuf push body is not snappy-compressed (Loki requires snappy block format)',
    );
  }
  if (length > limits.maxDecodedBodyBytes) {
    throw new ApiError(
      'body_too_large',
      `decompressed body would be ${length} bytes, over the ${limits.maxDecodedBodyBytes}-byte limit`,
    );
  }
  try {
    return (await uncompress(body, { asBuffer: true })) as Buffer;
  } catch (err) {
    throw new ApiError('invalid_body', `protobuf push body is not valid snappy: ${(err as Error).message}`);
  }
}
