import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { plainToInstance } from 'class-transformer';
import { getMetadataStorage, validateSync } from 'class-validator';
import { HttpAdapterName, HubConfig, HubRole, MakeComAuthMode, RedisConnectionConfig, WorkerProcessMode } from './hub-config';
import { HubEnv, SECRET_VARIABLES } from './hub-env.schema';

export type EnvSource = Record<string, string | undefined>;

/** A configuration error: its message names the variable and says what is wrong, and nothing more. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const TYPE_RULES = ['isInt', 'isBoolean', 'isIn', 'matches', 'isUrl', 'isString'];
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost']);

/** A comma-separated list of secrets (for rotation): every listed one verifies, the first one signs. */
export function parseSecretList(value: string | undefined): string[] {
  if (!value) return [];
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/**
 * Validates the environment and builds the typed config. Throws ConfigError naming the first bad
 * variable, so boot fails with one clear line.
 */
export function loadHubConfig(source: EnvSource): HubConfig {
  const env = plainToInstance(HubEnv, pickKnown(source));
  const errors = validateSync(env, { forbidUnknownValues: false });
  if (errors.length > 0) {
    const first = errors[0];
    const constraints = first.constraints ?? { invalid: 'is invalid' };
    // The type rule says most ("must be an integer"), so it wins over range rules.
    const key = TYPE_RULES.find((rule) => rule in constraints) ?? Object.keys(constraints)[0];
    const reason = constraints[key];
    const raw = source[first.property];
    const shown = SECRET_VARIABLES.has(first.property) ? '' : ` (got ${JSON.stringify(raw)})`;
    throw new ConfigError(`Invalid configuration: ${first.property} ${stripPropertyName(reason, first.property)}${shown}`);
  }

  const host = env.HOST ?? '0.0.0.0';
  const mcpAuth = (env.MCP_AUTH ?? 'token') as 'token' | 'off';
  if (mcpAuth === 'off' && !LOOPBACK_HOSTS.has(host)) {
    throw new ConfigError(
      `Invalid configuration: MCP_AUTH=off is only allowed when HOST is a loopback address (got HOST=${JSON.stringify(host)})`,
    );
  }

  const validationEnabled = env.WEBHOOK_VALIDATION_ENABLED ?? true;
  if (!validationEnabled && !LOOPBACK_HOSTS.has(host)) {
    throw new ConfigError(
      `Invalid configuration: WEBHOOK_VALIDATION_ENABLED=false is only allowed when HOST is a loopback address (got HOST=${JSON.stringify(host)})`,
    );
  }

  const adminToken = env.HUB_ADMIN_TOKEN ?? randomBytes(24).toString('base64url');
  const config = new HubConfig();
  Object.assign(config, {
    port: env.PORT ?? 3000,
    host,
    redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    redis: redisConnection(env.REDIS_URL ?? 'redis://127.0.0.1:6379', env.REDIS_CLUSTER_NODES, env.REDIS_PASSWORD, env.REDIS_TLS),
    prefix: env.HUB_PREFIX ?? 'hub',
    role: (env.HUB_ROLE ?? 'all') as HubRole,
    workerProcess: (env.HUB_WORKER_PROCESS ?? 'fork') as WorkerProcessMode,
    workerForked: false,
    adminToken,
    adminTokenGenerated: env.HUB_ADMIN_TOKEN === undefined,
    httpAdapter: (env.HTTP_ADAPTER ?? 'express') as HttpAdapterName,
    publicUrl: (env.PUBLIC_URL ?? `http://localhost:${env.PORT ?? 3000}`).replace(/\/+$/, ''),
    logLevel: env.LOG_LEVEL ?? 'info',
    maxBodyBytes: env.MAX_BODY_BYTES ?? 4 * 1024 * 1024,
    dedupeTtlSeconds: env.DEDUPE_TTL_SECONDS ?? 72 * 3600,
    eventRetentionSeconds: env.EVENT_RETENTION_SECONDS ?? 7 * 24 * 3600,
    eventStreamMaxLen: env.EVENT_STREAM_MAXLEN ?? 1_000_000,
    eventPartitions: env.EVENT_PARTITIONS ?? 1,
    deliveryQueues: env.DELIVERY_QUEUES ?? 1,
    readiness: { maxStreamLag: env.READY_MAX_STREAM_LAG ?? 10_000, maxQueueBacklog: env.READY_MAX_QUEUE_BACKLOG ?? 100_000 },
    rateLimit: { limit: env.RATE_LIMIT_PER_SOURCE ?? 6000, windowMs: env.RATE_LIMIT_WINDOW_MS ?? 60_000 },
    stream: {
      consumerName: env.STREAM_CONSUMER_NAME ?? `${hostname()}-${process.pid}`,
      claimIdleMs: env.STREAM_CLAIM_IDLE_MS ?? 60_000,
      batchSize: env.STREAM_BATCH_SIZE ?? 100,
      maxDeliveries: env.STREAM_MAX_DELIVERIES ?? 10,
    },
    allowPrivateTargets: env.ALLOW_PRIVATE_TARGETS ?? false,
    mcpAuth,
    whatsapp: {
      appSecrets: parseSecretList(env.WHATSAPP_APP_SECRET),
      webhookSecrets: parseSecretList(env.WHATSAPP_WEBHOOK_SECRET),
      verifyTokens: parseSecretList(env.WHATSAPP_VERIFY_TOKEN),
    },
    digitalsamba: {
      tokens: parseSecretList(env.DIGITAL_SAMBA_WEBHOOK_TOKEN),
      secrets: parseSecretList(env.DIGITAL_SAMBA_WEBHOOK_SECRET ?? env.WEBHOOK_SECRET),
    },
    makecom: {
      apiKeys: parseSecretList(env.MAKE_COM_API_KEY),
      secrets: parseSecretList(env.MAKE_COM_WEBHOOK_SECRET),
      mode: (env.MAKE_COM_AUTH ?? 'either') as MakeComAuthMode,
      validationEnabled,
      timeoutSeconds: env.WEBHOOK_TIMEOUT_SECONDS ?? 30,
    },
    tavus: {
      secrets: parseSecretList(env.TAVUS_WEBHOOK_SECRET),
      tokens: parseSecretList(env.TAVUS_WEBHOOK_TOKEN),
    },
    cctelegram: {
      secrets: parseSecretList(env.CCTELEGRAM_WEBHOOK_SECRET),
      toleranceSeconds: env.CCTELEGRAM_TIMESTAMP_TOLERANCE_SECONDS ?? 300,
    },
    telegram: {
      secretTokens: parseSecretList(env.TELEGRAM_SECRET_TOKEN),
      ...(env.TELEGRAM_BOT_TOKEN ? { botToken: env.TELEGRAM_BOT_TOKEN } : {}),
      ...(env.TELEGRAM_APPROVAL_CHAT_ID ? { approvalChatId: env.TELEGRAM_APPROVAL_CHAT_ID } : {}),
      apiUrl: (env.TELEGRAM_API_URL ?? 'https://api.telegram.org').replace(/\/+$/, ''),
    },
    approvals: { ttlSeconds: env.APPROVAL_TTL_SECONDS ?? 86_400 },
    delivery: {
      allowlist: parseSecretList(env.DELIVERY_ALLOWLIST),
      timeoutMs: env.DELIVERY_TIMEOUT_MS ?? 10_000,
      connectTimeoutMs: env.DELIVERY_CONNECT_TIMEOUT_MS ?? 10_000,
      concurrency: env.DELIVERY_CONCURRENCY ?? 32,
      batchSize: env.DELIVERY_BATCH_SIZE ?? 50,
      lockMs: env.DELIVERY_LOCK_MS ?? 30_000,
      disableAfterHours: env.ENDPOINT_DISABLE_AFTER_HOURS ?? 120,
      circuit: {
        minRequests: env.CIRCUIT_BREAKER_MIN_REQUESTS ?? 20,
        failureRatePercent: env.CIRCUIT_BREAKER_FAILURE_RATE ?? 90,
        windowMs: env.CIRCUIT_BREAKER_WINDOW_MS ?? 60_000,
        cooldownMs: env.CIRCUIT_BREAKER_COOLDOWN_MS ?? 30_000,
        tripsToDisable: env.CIRCUIT_BREAKER_TRIPS_TO_DISABLE ?? 10,
      },
    },
    mcp: {
      sessionIdleMs: env.MCP_SESSION_IDLE_MS ?? 30 * 60_000,
      allowedOrigins: parseSecretList(env.MCP_ALLOWED_ORIGINS),
      allowedHosts: parseSecretList(env.MCP_ALLOWED_HOSTS).map((h) => h.toLowerCase()),
    },
    digitalSambaApi: {
      url: (env.DIGITAL_SAMBA_API_URL ?? 'https://api.digitalsamba.com/api/v1').replace(/\/+$/, ''),
      ...(env.DIGITAL_SAMBA_API_KEY ? { key: env.DIGITAL_SAMBA_API_KEY } : {}),
    },
  } satisfies Omit<HubConfig, 'runsGateway' | 'runsWorker' | 'forksWorker'>);
  return config;
}

/** The names of every variable the hub reads (the keys of HubEnv). */
export function knownVariables(): string[] {
  const metadata = getMetadataStorage().getTargetValidationMetadatas(HubEnv, '', true, false);
  return [...new Set(metadata.map((m) => m.propertyName))];
}

/**
 * How to reach Redis: one server (REDIS_URL) or a cluster (REDIS_CLUSTER_NODES seeds). Credentials
 * come from REDIS_URL or REDIS_PASSWORD, TLS from rediss:// or REDIS_TLS, for either.
 */
function redisConnection(url: string, clusterNodes: string | undefined, password: string | undefined, tls: boolean | undefined): RedisConnectionConfig {
  const parsed = new URL(url);
  const fromUrl = parsed.password ? decodeURIComponent(parsed.password) : undefined;
  const username = parsed.username ? decodeURIComponent(parsed.username) : undefined;
  const nodes = clusterNodes
    ?.split(',')
    .map((node) => node.trim())
    .filter(Boolean)
    .map((node) => {
      const at = node.lastIndexOf(':');
      return { host: node.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(node.slice(at + 1)) };
    });
  return {
    url,
    ...(nodes?.length ? { clusterNodes: nodes } : {}),
    ...(password ?? fromUrl ? { password: password ?? fromUrl } : {}),
    ...(username ? { username } : {}),
    tls: tls ?? parsed.protocol === 'rediss:',
  };
}

function pickKnown(source: EnvSource): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const [key, value] of Object.entries(source)) {
    if (value !== undefined && /^[A-Z][A-Z0-9_]*$/.test(key)) picked[key] = value;
  }
  return picked;
}

function stripPropertyName(reason: string, property: string): string {
  return reason.startsWith(property + ' ') ? reason.slice(property.length + 1) : reason;
}
