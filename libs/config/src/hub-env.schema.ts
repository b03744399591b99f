import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, IsUrl, Matches, Max, Min, MinLength } from 'class-validator';

const toInt = ({ value }: { value: unknown }) =>
  value === undefined || value === '' ? undefined : /^-?\d+$/.test(String(value).trim()) ? Number(value) : value;
const toBool = ({ value }: { value: unknown }) => {
  if (value === undefined || value === '') return undefined;
  const v = String(value).trim().toLowerCase();
  return v === 'true' || v === '1' ? true : v === 'false' || v === '0' ? false : value;
};
const emptyToUndefined = ({ value }: { value: unknown }) => (value === '' ? undefined : value);

/**
 * Every environment variable the hub reads, with its rule. `.env.example` and the README table
 * document the same list; a test keeps them in step.
 */
export class HubEnv {
  @Transform(toInt) @IsOptional() @IsInt() @Min(0) @Max(65535)
  PORT?: number;

  @Transform(emptyToUndefined) @IsOptional() @IsString()
  HOST?: string;

  @Transform(emptyToUndefined) @IsOptional() @Matches(/^rediss?:\/\/\S+$/, { message: 'must be a redis:// or rediss:// URL' })
  REDIS_URL?: string;

  /** Redis Cluster seed nodes, `host:port,host:port`; unset means one Redis at REDIS_URL. */
  @Transform(emptyToUndefined) @IsOptional() @Matches(/^\s*[A-Za-z0-9.\-\[\]:]+:\d{1,5}\s*(,\s*[A-Za-z0-9.\-\[\]:]+:\d{1,5}\s*)*$/, {
    message: 'must be comma-separated host:port seed nodes, e.g. 10.0.0.1:6379,10.0.0.2:6379',
  })
  REDIS_CLUSTER_NODES?: string;

  /** Password for Redis (or every cluster node) when REDIS_URL carries none. */
  @Transform(emptyToUndefined) @IsOptional() @IsString()
  REDIS_PASSWORD?: string;

  /** TLS to Redis (rediss:// in REDIS_URL does the same for a single Redis). */
  @Transform(toBool) @IsOptional() @IsBoolean()
  REDIS_TLS?: boolean;

  @Transform(emptyToUndefined) @IsOptional() @Matches(/^[A-Za-z0-9_.:-]{1,64}$/, {
    message: 'must be 1-64 characters of letters, digits, _ . : -',
  })
  HUB_PREFIX?: string;

  @Transform(emptyToUndefined) @IsOptional() @IsIn(['gateway', 'worker', 'all'])
  HUB_ROLE?: string;

  /** With HUB_ROLE=all: `fork` (default) runs the worker half in a child process the gateway supervises, `inline` in the same process. */
  @Transform(emptyToUndefined) @IsOptional() @IsIn(['fork', 'inline'], {
    message: 'must be "fork" (the worker half in its own process, the default) or "inline" (gateway and worker in one process)',
  })
  HUB_WORKER_PROCESS?: string;

  @Transform(emptyToUndefined) @IsOptional() @IsString() @MinLength(16, { message: 'must be at least 16 characters' })
  HUB_ADMIN_TOKEN?: string;

  @Transform(emptyToUndefined) @IsOptional() @IsIn(['express', 'fastify'], { message: 'must be "express" or "fastify"' })
  HTTP_ADAPTER?: string;

  @Transform(emptyToUndefined) @IsOptional() @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] })
  PUBLIC_URL?: string;

  @Transform(emptyToUndefined) @IsOptional() @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL?: string;

  @Transform(emptyToUndefined) @IsOptional() @IsIn(['pretty', 'json', 'auto'], { message: 'LOG_FORMAT must be "pretty", "json" or "auto"' })
  LOG_FORMAT?: string;

  @Transform(toInt) @IsOptional() @IsInt() @Min(1024) @Max(64 * 1024 * 1024)
  MAX_BODY_BYTES?: number;

  @Transform(toInt) @IsOptional() @IsInt() @Min(60)
  DEDUPE_TTL_SECONDS?: number;

  @Transform(toInt) @IsOptional() @IsInt() @Min(60)
  EVENT_RETENTION_SECONDS?: number;

  @Transform(toInt) @IsOptional() @IsInt() @Min(100)
  EVENT_STREAM_MAXLEN?: number;

  @Transform(toInt) @IsOptional() @IsInt() @Min(1) @Max(32)
  EVENT_PARTITIONS?: number;

  @Transform(toInt) @IsOptional() @IsInt() @Min(1) @Max(32)
  DELIVERY_QUEUES?: number;

  @Transform(toInt) @IsOptional() @IsInt() @Min(1)
  READY_MAX_STREAM_LAG?: number;

  @Transform(toInt) @IsOptional() @IsInt() @Min(1)
  READY_MAX_QUEUE_BACKLOG?: number;

  @Transform(toInt) @IsOptional() @IsInt() @Min(1)
  RATE_LIMIT_PER_SOURCE?: number;

  @Transform(toInt) @IsOptional() @IsInt() @Min(100)
  RATE_LIMIT_WINDOW_MS?: number;

  @Transform(emptyToUndefined) @IsOptional() @Matches(/^[A-Za-z0-9_.:-]{1,128}$/, {
    message: 'must be 1-128 characters of letters, digits, _ . : -',
  })
  STREAM_CONSUMER_NAME?: string;

  @Transform(toInt) @IsOptional() @IsInt() @Min(100)
  STREAM_CLAIM_IDLE_MS?: number;

  @Transform(toInt) @IsOptional() @IsInt() @Min(1) @Max(10_000)
  STREAM_BATCH_SIZE?: number;

  @Transform(toInt) @IsOptional() @IsInt() @Min(1)
  STREAM_MAX_DELIVERIES?: number;

  @Transform(toBool) @IsOptional() @IsBoolean()
  ALLOW_PRIVATE_TARGETS?: boolean;

  @Transform(emptyToUndefined) @IsOptional() @IsIn(['token', 'off'])
  MCP_AUTH?: string;

  @Transform(emptyToUndefined) @IsOptional() @Matches(/^[A-Za-z0-9.:\/\[\]_-]+(,[A-Za-z0-9.:\/\[\]_-]+)*$/, {
    message: 'must be a comma-separated list of host names, IP addresses or CIDR ranges',
  })
  DELIVERY_ALLOWLIST?: string;

  @Transform(toInt) @IsOptional() @IsInt() @Min(1_000)
  MCP_SESSION_IDLE_MS?: number;

  @Transform(emptyToUndefined) @IsOptional() @Matches(/^https?:\/\/[^\s,]+(,https?:\/\/[^\s,]+)*$/, {
    message: 'must be a comma-separated list of origins such as https://app.example.com',
  })
  MCP_ALLOWED_ORIGINS?: string;

  @Transform(emptyToUndefined) @IsOptional() @Matches(/^[A-Za-z0-9.\[\]:_-]+(,[A-Za-z0-9.\[\]:_-]+)*$/, {
    message: 'must be a comma-separated list of host names',
  })
  MCP_ALLOWED_HOSTS?: string;

  @Transform(emptyToUndefined) @IsOptional() @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] })
  DIGITAL_SAMBA_API_URL?: string;

  @IsOptional() @IsString()
  DIGITAL_SAMBA_API_KEY?: string;

  @Transform(toInt) @IsOptional() @IsInt() @Min(100) @Max(300_000)
  DELIVERY_TIMEOUT_MS?: number;

  @Transform(toInt) @IsOptional() @IsInt() @Min(100) @Max(300_000)
  DELIVERY_CONNECT_TIMEOUT_MS?: number;

  @Transform(toInt) @IsOptional() @IsInt() @Min(1) @Max(1_000)
  DELIVERY_CONCURRENCY?: number;

  @Transform(toInt) @IsOptional() @IsInt() @Min(1) @Max(1_000)
  DELIVERY_BATCH_SIZE?: number;

  @Transform(toInt) @IsOptional() @IsInt() @Min(1_000) @Max(600_000)
  DELIVERY_LOCK_MS?: number;

  @Transform(toInt) @IsOptional() @IsInt() @Min(1)
  ENDPOINT_DISABLE_AFTER_HOURS?: number;

  @Transform(toInt) @IsOptional() @IsInt() @Min(1)
  CIRCUIT_BREAKER_MIN_REQUESTS?: number;

  @Transform(toInt) @IsOptional() @IsInt() @Min(1) @Max(100)
  CIRCUIT_BREAKER_FAILURE_RATE?: number;

  @Transform(toInt) @IsOptional() @IsInt() @Min(1_000)
  CIRCUIT_BREAKER_WINDOW_MS?: number;

  @Transform(toInt) @IsOptional() @IsInt() @Min(100)
  CIRCUIT_BREAKER_COOLDOWN_MS?: number;

  @Transform(toInt) @IsOptional() @IsInt() @Min(1)
  CIRCUIT_BREAKER_TRIPS_TO_DISABLE?: number;

  @IsOptional() @IsString()
  WHATSAPP_APP_SECRET?: string;

  @IsOptional() @IsString()
  WHATSAPP_WEBHOOK_SECRET?: string;

  @IsOptional() @IsString()
  WHATSAPP_VERIFY_TOKEN?: string;

  @IsOptional() @IsString()
  DIGITAL_SAMBA_WEBHOOK_TOKEN?: string;

  @IsOptional() @IsString()
  DIGITAL_SAMBA_WEBHOOK_SECRET?: string;

  /** The seed document's name for the Digital Samba HMAC secret; used when DIGITAL_SAMBA_WEBHOOK_SECRET is unset. */
  @IsOptional() @IsString()
  WEBHOOK_SECRET?: string;

  @IsOptional() @IsString()
  MAKE_COM_API_KEY?: string;

  @IsOptional() @IsString()
  MAKE_COM_WEBHOOK_SECRET?: string;

  @Transform(emptyToUndefined) @IsOptional() @IsIn(['either', 'apikey', 'signature', 'both'])
  MAKE_COM_AUTH?: string;

  /** The Make.com seed's variable: false accepts unsigned scenario calls (loopback HOST only). */
  @Transform(toBool) @IsOptional() @IsBoolean()
  WEBHOOK_VALIDATION_ENABLED?: boolean;

  /** The Make.com seed's variable: inline scenario work longer than this answers 408. */
  @Transform(toInt) @IsOptional() @IsInt() @Min(1) @Max(600)
  WEBHOOK_TIMEOUT_SECONDS?: number;

  @Transform(toInt) @IsOptional() @IsInt() @Min(10) @Max(30 * 86_400)
  APPROVAL_TTL_SECONDS?: number;

  @Transform(emptyToUndefined) @IsOptional() @Matches(/^\d{1,20}:[A-Za-z0-9_-]{10,100}$/, {
    message: 'must be a bot token as BotFather gives it, <bot id>:<secret>',
  })
  TELEGRAM_BOT_TOKEN?: string;

  // Numeric only: updates name chats by number, and decisions are accepted only from this chat.
  @Transform(emptyToUndefined) @IsOptional() @Matches(/^-?\d{1,20}$/, {
    message: 'must be a numeric chat id such as -1001234567890 (ask @userinfobot or read getUpdates)',
  })
  TELEGRAM_APPROVAL_CHAT_ID?: string;

  @Transform(emptyToUndefined) @IsOptional() @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] })
  TELEGRAM_API_URL?: string;

  @IsOptional() @IsString()
  TAVUS_WEBHOOK_SECRET?: string;

  @IsOptional() @IsString()
  TAVUS_WEBHOOK_TOKEN?: string;

  @IsOptional() @IsString()
  CCTELEGRAM_WEBHOOK_SECRET?: string;

  @Transform(toInt) @IsOptional() @IsInt() @Min(1) @Max(86_400)
  CCTELEGRAM_TIMESTAMP_TOLERANCE_SECONDS?: number;

  @Transform(emptyToUndefined) @IsOptional() @Matches(/^[A-Za-z0-9_-]{1,256}(,[A-Za-z0-9_-]{1,256})*$/, {
    message: 'must be 1-256 characters of A-Z a-z 0-9 _ - (comma-separated for rotation), as Telegram allows',
  })
  TELEGRAM_SECRET_TOKEN?: string;
}

/** Variables whose values are secrets: never echoed in an error message or a log line. */
export const SECRET_VARIABLES = new Set([
  'HUB_ADMIN_TOKEN',
  'REDIS_PASSWORD',
  'WHATSAPP_APP_SECRET',
  'WHATSAPP_WEBHOOK_SECRET',
  'WHATSAPP_VERIFY_TOKEN',
  'DIGITAL_SAMBA_WEBHOOK_TOKEN',
  'DIGITAL_SAMBA_WEBHOOK_SECRET',
  'WEBHOOK_SECRET',
  'MAKE_COM_API_KEY',
  'MAKE_COM_WEBHOOK_SECRET',
  'TAVUS_WEBHOOK_SECRET',
  'TAVUS_WEBHOOK_TOKEN',
  'CCTELEGRAM_WEBHOOK_SECRET',
  'TELEGRAM_SECRET_TOKEN',
  'DIGITAL_SAMBA_API_KEY',
  'TELEGRAM_BOT_TOKEN',
]);
