/** The roles one process can play: the HTTP gateway, the background worker, or both (the default). */
export type HubRole = 'gateway' | 'worker' | 'all';
export type HttpAdapterName = 'express' | 'fastify';
/** HUB_WORKER_PROCESS: where HUB_ROLE=all runs its worker half. */
export type WorkerProcessMode = 'fork' | 'inline';

export interface WhatsAppConfig {
  /** Meta App Secrets (X-Hub-Signature-256); every listed secret verifies. */
  appSecrets: string[];
  /** Bridge secrets (X-Webhook-Signature); every listed secret verifies. */
  webhookSecrets: string[];
  /** Tokens accepted in the GET hub.verify_token handshake. */
  verifyTokens: string[];
}

/** Digital Samba: the platform's static bearer token, or the seed document's HMAC secret. */
export interface DigitalSambaConfig {
  /** DIGITAL_SAMBA_WEBHOOK_TOKEN: `Authorization: Bearer <token>` (or the bare token). */
  tokens: string[];
  /** DIGITAL_SAMBA_WEBHOOK_SECRET (or the document's WEBHOOK_SECRET): X-DigitalSamba-Signature HMAC. */
  secrets: string[];
}

/** Which Make.com credentials a request must carry. */
export type MakeComAuthMode = 'either' | 'apikey' | 'signature' | 'both';

export interface MakeComConfig {
  /** MAKE_COM_API_KEY: `x-make-apikey`. */
  apiKeys: string[];
  /** MAKE_COM_WEBHOOK_SECRET: `X-Hub-Signature-256: sha256=<hex>`. */
  secrets: string[];
  /** MAKE_COM_AUTH: `either` (default: one configured scheme must pass), `apikey`, `signature` or `both`. */
  mode: MakeComAuthMode;
  /** WEBHOOK_VALIDATION_ENABLED (default true): false accepts unsigned calls; refused at boot unless HOST is loopback. */
  validationEnabled: boolean;
  /** WEBHOOK_TIMEOUT_SECONDS (default 30): inline scenario work longer than this answers 408. */
  timeoutSeconds: number;
}

export interface TavusConfig {
  /** TAVUS_WEBHOOK_SECRET: `x-tavus-signature` HMAC. */
  secrets: string[];
  /** TAVUS_WEBHOOK_TOKEN: the `?t=` URL token (Tavus itself signs nothing). */
  tokens: string[];
}

export interface CcTelegramConfig {
  /** CCTELEGRAM_WEBHOOK_SECRET: `X-CCTelegram-Signature` HMAC over the raw body. */
  secrets: string[];
  /** CCTELEGRAM_TIMESTAMP_TOLERANCE_SECONDS: allowed skew of `X-CCTelegram-Timestamp`, both ways. */
  toleranceSeconds: number;
}

export interface TelegramConfig {
  /** TELEGRAM_SECRET_TOKEN: `X-Telegram-Bot-Api-Secret-Token` as set with setWebhook(secret_token). */
  secretTokens: string[];
  /** TELEGRAM_BOT_TOKEN: the bot that sends approval requests (Bot API calls); never logged. */
  botToken?: string;
  /** TELEGRAM_APPROVAL_CHAT_ID: where approval requests go, and the only chat whose buttons decide them. */
  approvalChatId?: string;
  /** TELEGRAM_API_URL: the Bot API base (default https://api.telegram.org). */
  apiUrl: string;
}

export interface ApprovalsConfig {
  /** APPROVAL_TTL_SECONDS (default 24 h): a pending approval expires after this and never runs. */
  ttlSeconds: number;
}

export interface DeliveryConfig {
  /** DELIVERY_ALLOWLIST: hosts, IPs or CIDRs the SSRF guard lets through even when private. */
  allowlist: string[];
  /** DELIVERY_TIMEOUT_MS: total time for one attempt (default 10 s). */
  timeoutMs: number;
  /** DELIVERY_CONNECT_TIMEOUT_MS: time to connect (default 10 s). */
  connectTimeoutMs: number;
  /** DELIVERY_CONCURRENCY: deliveries in flight per worker process and delivery queue shard. */
  concurrency: number;
  /** DELIVERY_BATCH_SIZE: most first attempts to one endpoint one fan-out job carries (1: a job per delivery; default 50). */
  batchSize: number;
  /** DELIVERY_LOCK_MS: how long a worker's claim on a job lasts without renewal; a crashed worker's jobs return after about this long. */
  lockMs: number;
  /** ENDPOINT_DISABLE_AFTER_HOURS: exhausted deliveries with no success for this long disable an endpoint (default 120 h). */
  disableAfterHours: number;
  /** Fast circuit breaker per endpoint: over `failureRatePercent` failures among at least `minRequests` in `windowMs`, pause for `cooldownMs`. */
  circuit: { minRequests: number; failureRatePercent: number; windowMs: number; cooldownMs: number; tripsToDisable: number };
}

export interface McpConfig {
  /** MCP_SESSION_IDLE_MS: a session with no request and no open stream for this long is closed. */
  sessionIdleMs: number;
  /** MCP_ALLOWED_ORIGINS: browser origins allowed besides PUBLIC_URL's and loopback ones. */
  allowedOrigins: string[];
  /** MCP_ALLOWED_HOSTS: Host header names allowed besides PUBLIC_URL's and loopback ones (DNS-rebinding guard). */
  allowedHosts: string[];
}

export interface DigitalSambaApiConfig {
  /** DIGITAL_SAMBA_API_URL: base of the Digital Samba REST API the seed tools call. */
  url: string;
  /** DIGITAL_SAMBA_API_KEY: developer key used when an MCP connection sends no X-DigitalSamba-Api-Key. */
  key?: string;
}

/**
 * The validated, typed configuration of one hub process. Built once at boot by `loadHubConfig`
 * and injected by this class token, so nothing else reads `process.env`.
 */
export interface RedisConnectionConfig {
  url: string;
  clusterNodes?: { host: string; port: number }[];
  username?: string;
  password?: string;
  tls: boolean;
}

export class HubConfig {
  port!: number;
  host!: string;
  redisUrl!: string;
  /** One Redis, or a Redis Cluster when `clusterNodes` is set (every connection of the hub follows it). */
  redis!: RedisConnectionConfig;
  /** Prefix of every Redis key and queue. */
  prefix!: string;
  role!: HubRole;
  /** HUB_WORKER_PROCESS (default `fork`): with role `all`, the worker half runs in a child process (see workerForked); ignored by the other roles. */
  workerProcess!: WorkerProcessMode;
  /**
   * Not an environment variable: set by the process entry (main.ts) in a role-`all` process that forked its
   * worker half into a child process, so this process builds the gateway half only. False everywhere else
   * (an app built in-process, as the tests do, runs what its role says).
   */
  workerForked = false;
  adminToken!: string;
  /** True when HUB_ADMIN_TOKEN was unset and the token above was generated at boot. */
  adminTokenGenerated!: boolean;
  httpAdapter!: HttpAdapterName;
  publicUrl!: string;
  logLevel!: string;
  maxBodyBytes!: number;
  dedupeTtlSeconds!: number;
  eventRetentionSeconds!: number;
  eventStreamMaxLen!: number;
  /** Partitions of the event stream (EVENT_PARTITIONS); fixed for the life of a prefix. */
  eventPartitions!: number;
  /** Delivery queue shards (DELIVERY_QUEUES); a subscription's deliveries always use one. Fixed for the life of a prefix. */
  deliveryQueues!: number;
  /** /health/ready answers 503 past these: stream entries not yet processed by a group, delivery jobs waiting. */
  readiness!: { maxStreamLag: number; maxQueueBacklog: number };
  rateLimit!: { limit: number; windowMs: number };
  stream!: { consumerName: string; claimIdleMs: number; batchSize: number; maxDeliveries: number };
  allowPrivateTargets!: boolean;
  mcpAuth!: 'token' | 'off';
  whatsapp!: WhatsAppConfig;
  digitalsamba!: DigitalSambaConfig;
  makecom!: MakeComConfig;
  tavus!: TavusConfig;
  cctelegram!: CcTelegramConfig;
  telegram!: TelegramConfig;
  approvals!: ApprovalsConfig;
  delivery!: DeliveryConfig;
  mcp!: McpConfig;
  digitalSambaApi!: DigitalSambaApiConfig;

  get runsGateway(): boolean {
    return this.role !== 'worker';
  }

  get runsWorker(): boolean {
    return this.role !== 'gateway' && !this.workerForked;
  }

  /** Role `all` with HUB_WORKER_PROCESS=fork: the process entry runs the worker half in a supervised child process. */
  get forksWorker(): boolean {
    return this.role === 'all' && this.workerProcess === 'fork';
  }
}
