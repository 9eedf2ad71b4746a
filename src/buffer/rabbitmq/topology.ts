import type { ChannelModel } from 'amqplib';

/**
 * Queue names and arguments. Every node (ingest or worker) declares the topology when it
 * connects; declaring an existing queue with the same arguments is a no-op, so whichever node
 * starts first creates it and the order of starting does not matter.
 *
 * Quorum queues (not classic): RabbitMQ's data-safety queue type — replicated by Raft when the
 * broker is a cluster, written and fsync'd before the confirm (classic mirroring is deprecated).
 * They also count redeliveries and enforce a delivery limit with at-least-once dead-lettering,
 * which the poison-message backstop below relies on. Speed is not the reason: measured on
 * RabbitMQ 3.10 here (bench/rabbitmq.ts), confirmed publishing was faster on quorum in one run
 * and on classic in another (docs/rabbitmq.md), both far above what ingest nodes produce.
 */
export const DEFAULT_QUEUE = 'sawmill.ingest';
export const DEFAULT_MAX_QUEUE_BYTES = 4 * 1024 ** 3;
/**
 * Broker-side backstop, far above `maxAttempts`: a message returned to the queue this many times
 * without an ack (its worker died holding it, again and again — e.g. it crashes the process) is
 * dead-lettered by the broker itself. Fixed rather than derived from options, so nodes configured
 * differently still declare identical arguments.
 */
export const DELIVERY_LIMIT = 50;

export function deadQueueName(queue: string): string {
  return `${queue}.dead`;
}

export function mainQueueArguments(queue: string, maxQueueBytes: number): Record<string, unknown> {
  return {
    'x-queue-type': 'quorum',
    // Full → the broker nacks new publishes (→ 429), instead of dropping the oldest messages.
    'x-max-length-bytes': maxQueueBytes,
    'x-overflow': 'reject-publish',
    'x-delivery-limit': DELIVERY_LIMIT,
    'x-dead-letter-exchange': '',
    'x-dead-letter-routing-key': deadQueueName(queue),
    // The broker keeps a message until the dead queue confirmed it (at-most-once could lose it).
    'x-dead-letter-strategy': 'at-least-once',
  };
}

export function deadQueueArguments(maxQueueBytes: number): Record<string, unknown> {
  // Bounded too, and refusing rather than dropping: a full dead queue makes the worker keep the
  // failing message in the main queue (retrying) instead of losing it.
  return { 'x-queue-type': 'quorum', 'x-max-length-bytes': maxQueueBytes, 'x-overflow': 'reject-publish' };
}

/**
 * Declare both queues. A queue that already exists with different arguments (another node was
 * configured with another limit, or an operator changed it) makes the broker close the channel
 * with 406 PRECONDITION_FAILED; then we use the queue as it is (passive check) and report it.
 */
export async function declareTopology(
  conn: ChannelModel,
  queue: string,
  maxQueueBytes: number,
  onError: (err: unknown) => void,
): Promise<void> {
  const dead = deadQueueName(queue);
  // The dead queue first: the main queue's at-least-once dead-lettering routes to it.
  await declareOne(conn, dead, deadQueueArguments(maxQueueBytes), onError);
  await declareOne(conn, queue, mainQueueArguments(queue, maxQueueBytes), onError);
}

async function declareOne(
  conn: ChannelModel,
  name: string,
  args: Record<string, unknown>,
  onError: (err: unknown) => void,
): Promise<void> {
  const ch = await conn.createChannel();
  ch.on('error', () => {}); // the failure is reported through the rejected promise
  try {
    await ch.assertQueue(name, { durable: true, arguments: args });
    await ch.close();
    return;
  } catch (err) {
    if ((err as { code?: number }).code !== 406) throw err;
    onError(
      new Error(`queue ${name} exists with other arguments than this node's; using it as it is`, {
        cause: err,
      }),
    );
  }
  const check = await conn.createChannel();
  check.on('error', () => {});
  await check.checkQueue(name);
  await check.close();
}
