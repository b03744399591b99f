import { fnv1a, partitionFor, partitionOfEventId } from './event-id';

/**
 * Key names. Every key carries the hash tag `{<prefix>}` so the keys one Lua script touches share a
 * cluster slot; the same code then runs on Redis Cluster or a managed Redis.
 */
export class RedisKeys {
  readonly tag: string;
  /** The event-stream partitions, 0 .. partitions - 1. */
  readonly partitionIds: number[];
  /** The delivery queue shards, 0 .. deliveryQueues - 1. */
  readonly deliveryShards: number[];

  /**
   * `partitions` (EVENT_PARTITIONS) splits the event stream and the keys written with it (dedupe keys,
   * id index, ingress stats, rate windows, dead events) over hash tags `{<prefix>:p<n>}`, so on a Redis
   * Cluster they spread over the masters while each append stays one script on one slot. With one
   * partition they keep the prefix's tag, as before partitions existed.
   */
  constructor(
    readonly prefix: string,
    readonly partitions = 1,
    /**
     * DELIVERY_QUEUES splits the delivery queue, and every key written with a delivery (its record,
     * attempts, indexes, dead letters, body, the subscription's failure clock and throttle) over hash
     * tags `{<prefix>:q<n>}`, a subscription always in the same shard; with one shard they keep the
     * prefix's tag.
     */
    readonly deliveryQueues = 1,
  ) {
    this.tag = `{${prefix}}`;
    this.partitionIds = Array.from({ length: partitions }, (_, p) => p);
    this.deliveryShards = Array.from({ length: deliveryQueues }, (_, q) => q);
  }

  /** The hash tag of one partition's keys. */
  partitionTag(partition: number): string {
    return this.partitions === 1 ? this.tag : `{${this.prefix}:p${partition}}`;
  }

  /** One partition of the event stream: every accepted event, in arrival order. */
  eventStream(partition = 0): string {
    return `${this.partitionTag(partition)}:events`;
  }

  /** Event id -> stream entry id, so GET /events/:id is one lookup (the id names its partition). */
  eventIndex(eventId: string): string {
    return `${this.partitionTag(partitionOfEventId(eventId, this.partitions))}:event:${eventId}`;
  }

  /** Dedupe marker: holds the id of the first event seen with this key (in the key's partition). */
  dedupe(source: string, dedupeKey: string): string {
    return `${this.partitionTag(partitionFor(source, dedupeKey, this.partitions))}:dedupe:${source}:${dedupeKey}`;
  }

  /** Counters of one source for one hour in one partition (accepted, duplicates, rejected, type:<type>). */
  sourceStats(source: string, hourBucket: number, partition = 0): string {
    return `${this.partitionTag(partition)}:stats:${source}:${hourBucket}`;
  }

  /** Authenticated requests of one source in one rate-limit window and partition (shared by every gateway). */
  rateWindow(source: string, window: number, partition = 0): string {
    return `${this.partitionTag(partition)}:rate:${source}:${window}`;
  }

  /** Present while the stream consumer of that name is alive (refreshed every 2 s, expires after 10 s). */
  consumerHeartbeat(consumerName: string): string {
    return `${this.tag}:consumer:${consumerName}`;
  }

  /** Stream entries of one partition that failed processing too often. */
  deadEventStream(partition = 0): string {
    return `${this.partitionTag(partition)}:events:dead`;
  }

  /** Settings a running system must keep (the partition and delivery queue counts). */
  meta(): string {
    return `${this.tag}:meta`;
  }

  /** Subscriptions: hash id -> JSON. */
  subscriptions(): string {
    return `${this.tag}:subscriptions`;
  }

  /** Subscription URL -> id, for upsert by URL. */
  subscriptionUrls(): string {
    return `${this.tag}:subscriptions:by-url`;
  }

  /** Pub/sub channel announcing subscription changes (payload: the id) so caches reload. */
  subscriptionsChannel(): string {
    return `${this.tag}:subscriptions:changed`;
  }

  /** Prefix BullMQ puts before the keys of the hub's other queues (not deliveries); kept apart from ours. */
  queuePrefix(): string {
    return `${this.tag}:bull`;
  }

  /** The delivery queue shard of a subscription (FNV-1a of its id; 0 with one shard). */
  deliveryShardOf(subscriptionId: string): number {
    return this.deliveryQueues === 1 ? 0 : fnv1a(subscriptionId.replace(/^sub_/, '')) % this.deliveryQueues;
  }

  /** The shard of a delivery, from the subscription its id names (`dlv_<event>_<subscription>[_<suffix>]`). */
  deliveryShardOfDelivery(deliveryId: string): number {
    return this.deliveryQueues === 1 ? 0 : this.deliveryShardOf(deliveryId.split('_')[2] ?? '');
  }

  /** The hash tag of one delivery shard's keys. */
  deliveryTag(shard: number): string {
    return this.deliveryQueues === 1 ? this.tag : `{${this.prefix}:q${shard}}`;
  }

  /** BullMQ's prefix for one delivery shard's queue (with one shard, the other queues' prefix). */
  deliveryQueuePrefix(shard: number): string {
    return `${this.deliveryTag(shard)}:bull`;
  }

  /** One delivery (event x subscription): hash of its state. */
  delivery(deliveryId: string): string {
    return `${this.deliveryTag(this.deliveryShardOfDelivery(deliveryId))}:delivery:${deliveryId}`;
  }

  /** A delivery's attempts log: list of JSON attempts, oldest first. */
  deliveryAttempts(deliveryId: string): string {
    return `${this.delivery(deliveryId)}:attempts`;
  }

  /** One shard's deliveries by creation time; also per subscription and per event (sorted sets, score = ms). */
  deliveriesIndex(shard = 0): string {
    return `${this.deliveryTag(shard)}:deliveries`;
  }

  deliveriesOfSubscription(subscriptionId: string): string {
    return `${this.deliveryTag(this.deliveryShardOf(subscriptionId))}:deliveries:subscription:${subscriptionId}`;
  }

  deliveriesOfEvent(eventId: string, shard = 0): string {
    return `${this.deliveryTag(shard)}:deliveries:event:${eventId}`;
  }

  /** One shard's dead letters: sorted set of delivery ids by the time they died. */
  deadLetters(shard = 0): string {
    return `${this.deliveryTag(shard)}:dead-letters`;
  }

  /**
   * A delivery body shared by the deliveries of one event in one shard that send the same bytes
   * (hash: body, refs); `digest` tells formats and own bodies apart. Deleted when its last delivery is done.
   */
  deliveryPayload(eventId: string, digest: string, shard = 0): string {
    return `${this.deliveryTag(shard)}:payload:${eventId}:${digest}`;
  }

  /** When a subscription's exhausted deliveries started without a success since (failure clock). */
  failingSince(subscriptionId: string): string {
    return `${this.subscriptionTag(subscriptionId)}:subscription:${subscriptionId}:failing-since`;
  }

  /** Events that matched a subscription while it was disabled (sorted set of event ids by time). */
  skippedEvents(subscriptionId: string): string {
    return `${this.subscriptionTag(subscriptionId)}:subscription:${subscriptionId}:skipped`;
  }

  /** Per-second counter for a subscription's throttle. */
  throttleWindow(subscriptionId: string, second: number): string {
    return `${this.subscriptionTag(subscriptionId)}:subscription:${subscriptionId}:throttle:${second}`;
  }

  /** The tag of a subscription's delivery keys: its shard's. */
  private subscriptionTag(subscriptionId: string): string {
    return this.deliveryTag(this.deliveryShardOf(subscriptionId));
  }

  /** Pub/sub channel carrying every processed event batch to every gateway (live MCP notifications). */
  liveEventsChannel(): string {
    return `${this.tag}:events:live`;
  }

  /** One MCP session's stream of server-to-client messages, kept for Last-Event-ID resumption. */
  mcpStream(sessionId: string, streamId: string): string {
    return `${this.tag}:mcp:${sessionId}:${streamId}`;
  }

  /** One approval: hash of its request, status, decision, result and Telegram message. */
  approval(approvalId: string): string {
    return `${this.tag}:approval:${approvalId}`;
  }

  /** Every approval id (sorted set, all scores 0, so ULID ids sort by creation time lexicographically). */
  approvalsIndex(): string {
    return `${this.tag}:approvals`;
  }

  /** Approval events not yet stored (`<id>:requested|decided`, score = ms): the sweeper announces leftovers. */
  approvalsOutbox(): string {
    return `${this.tag}:approvals:outbox`;
  }

  /** Pending approvals by the time they expire (score = ms), for the expiry sweep. */
  approvalsExpiring(): string {
    return `${this.tag}:approvals:expiring`;
  }

  /** A reference outside the hub (a Telegram message) -> approval id. */
  approvalRef(ref: string): string {
    return `${this.tag}:approval-ref:${ref}`;
  }

  /** A workflow's reply to one event (Make.com's inline answer), kept so a redelivery gets the same bytes. */
  eventReply(eventId: string): string {
    return `${this.tag}:reply:${eventId}`;
  }

  /** A stored knowledge graph by extraction id, and the latest extraction of a client. */
  knowledgeGraph(extractionId: string): string {
    return `${this.tag}:knowledge-graph:${extractionId}`;
  }

  clientKnowledgeGraph(clientId: string): string {
    return `${this.tag}:client:${clientId}:knowledge-graph`;
  }

  /**
   * State a provider module keeps of its own (a bridge's last health, a video catalogue): its keys
   * live under `provider:<source>:`, so the store needs to know no provider to name them.
   */
  provider(source: string, ...parts: string[]): string {
    return [`${this.tag}:provider:${source}`, ...parts].join(':');
  }

  /** The admin token processes generated when HUB_ADMIN_TOKEN is unset, shared by all of them. */
  adminToken(): string {
    return `${this.tag}:admin-token`;
  }

  /** Pattern matching every key of this prefix (for tests and resets). */
  allKeysPattern(): string {
    return `${this.tag}:*`;
  }
}
