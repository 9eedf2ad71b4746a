import type { RecordError } from '../model/normalise.js';

/**
 * What a protocol adapter hands to the pipeline: one decoded but not yet validated record per
 * entry, or the reason it could not even be decoded. `line` is the 1-based source line, when
 * the protocol has lines, for error messages.
 */
export type Candidate = { value: unknown; line?: number } | { error: RecordError; line?: number };
