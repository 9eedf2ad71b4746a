/** A query the parser cannot accept: `position` is the 0-based offset the message refers to. */
export class QuerySyntaxError extends Error {
  constructor(
    readonly reason: string,
    readonly position: number,
  ) {
    super(`${reason} at position ${position}`);
    this.name = 'QuerySyntaxError';
  }
}
