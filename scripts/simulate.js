#!/usr/bin/env node
/**
 * `npm run simulate -- <provider> [sample] [--url http://host:port] [--unique] [--list]`: the seeds'
 * "Webhook Test Script" / "Webhook Testing Utility" (issue 11) for every provider.
 *
 * Takes a recorded sample body from test/fixtures/<provider>/<sample>.json (the exact bytes), signs
 * it exactly as that platform does with the secrets from the environment or ./.env (the environment
 * wins; lists use their first value), POSTs it to a running hub and prints the status and the reply.
 *
 *   --list      every provider with its samples and the credential it needs
 *   --unique    rewrite the sample's natural id (update_id, wamid, event.id, ...) in the raw body
 *               before signing, so the hub stores a new event instead of answering "duplicate"
 *   --url       the hub (default: HUB_URL, else PUBLIC_URL, else http://localhost:${PORT:-3000})
 *
 * Exit codes: 0 the hub answered 2xx; 1 usage or configuration error (e.g. a missing secret, named
 * in one line); 2 the hub answered something else or could not be reached. Plain Node 20, no dependencies: it
 * reads the fixture files itself and uses none of the test code.
 */
'use strict';

const { createHmac, randomBytes, randomInt } = require('node:crypto');
const { existsSync, readFileSync, readdirSync } = require('node:fs');
const { join, resolve } = require('node:path');

const FIXTURES = resolve(__dirname, '..', 'test', 'fixtures');
const MAKECOM_SCENARIO = 'chatgpt-clients';
const TELEGRAM_TOKEN_FORMAT = /^[A-Za-z0-9_-]{1,256}$/;
const CCTELEGRAM_ROUTES = { event_processed: 'events', user_response: 'responses', health_update: 'health' };

/** A usage or configuration problem: one line on stderr, exit 1. */
class UsageError extends Error {}

// ---------------------------------------------------------------------------------------------
// environment

/** `.env` as the hub reads it, simply: KEY=VALUE lines, # comments, optional quotes, optional `export`. */
function parseDotEnv(text) {
  const values = {};
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!match) continue;
    const [, key, rest] = match;
    let value;
    const doubleQuoted = /^"((?:[^"\\]|\\.)*)"/.exec(rest);
    const singleQuoted = /^'([^']*)'/.exec(rest);
    if (doubleQuoted) {
      value = doubleQuoted[1].replace(/\\(.)/g, (_all, c) => ({ n: '\n', r: '\r', t: '\t' })[c] ?? c);
    } else if (singleQuoted) {
      value = singleQuoted[1];
    } else {
      // An unquoted value ends at a comment that follows whitespace (`KEY=value # note`).
      value = rest.replace(/(^|\s+)#.*$/, '').trim();
    }
    values[key] = value;
  }
  return values;
}

/** ./.env under the environment: a variable set in the environment (even empty) wins, as with the hub. */
function loadEnv(cwd = process.cwd(), processEnv = process.env) {
  const file = join(cwd, '.env');
  const fromFile = existsSync(file) ? parseDotEnv(readFileSync(file, 'utf8')) : {};
  const env = { ...fromFile };
  for (const [key, value] of Object.entries(processEnv)) if (value !== undefined) env[key] = value;
  return env;
}

/** The first value of a comma-separated rotation list (the one that signs), or undefined. */
function first(value) {
  if (value === undefined) return undefined;
  return (
    String(value)
      .split(',')
      .map((s) => s.trim())
      .find((s) => s.length > 0) ?? undefined
  );
}

function missing(provider, sample, what) {
  return new UsageError(`cannot sign ${provider}/${sample}: set ${what} in the environment or ./.env`);
}

const hmacHex = (secret, body) => createHmac('sha256', secret).update(body).digest('hex');
const tag = () => `sim${randomBytes(4).toString('hex')}`;
const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

// ---------------------------------------------------------------------------------------------
// providers
//
// Each provider: route, default sample, the credential it needs (for --list), which headers of a
// fixture's template are credentials (replaced by what `sign` computes), `describe` (one line for
// --list), `ids` (what --unique rewrites: {label, old, fresh, key?}; string ids get `-<suffix>`) and `sign`.

const PROVIDERS = {
  digitalsamba: {
    route: () => '/webhooks/digitalsamba',
    defaultSample: 'document-participant-joined',
    needs: 'DIGITAL_SAMBA_WEBHOOK_TOKEN (Authorization: Bearer), else DIGITAL_SAMBA_WEBHOOK_SECRET or WEBHOOK_SECRET (X-DigitalSamba-Signature)',
    credentialHeaders: ['authorization', 'x-digitalsamba-signature'],
    describe(body) {
      const name = body.eventType ?? body.event ?? body.event_type;
      return `digitalsamba.${name} (${body.eventType !== undefined ? 'platform' : 'document'} format)`;
    },
    ids(body, suffix) {
      const data = isObject(body.data) ? body.data : {};
      const session = body.sessionId ?? data.session_id ?? data.sessionId;
      const room = body.roomId ?? data.room_id ?? data.roomId;
      // The dedupe key is (event, session, room, timestamp, participant) or the body's digest: a new session id changes either.
      if (typeof session === 'string') return [{ label: 'session id', old: session, fresh: `${session}-${suffix}` }];
      if (typeof room === 'string') return [{ label: 'room id', old: room, fresh: `${room}-${suffix}` }];
      return [];
    },
    sign({ env, body, provider, sample }) {
      const token = first(env.DIGITAL_SAMBA_WEBHOOK_TOKEN);
      if (token) return { headers: { Authorization: `Bearer ${token}` }, scheme: 'Authorization: Bearer <DIGITAL_SAMBA_WEBHOOK_TOKEN>' };
      const secret = first(env.DIGITAL_SAMBA_WEBHOOK_SECRET) ?? first(env.WEBHOOK_SECRET);
      if (secret) {
        return {
          headers: { 'X-DigitalSamba-Signature': `sha256=${hmacHex(secret, body)}` },
          scheme: 'X-DigitalSamba-Signature: sha256=<HMAC>',
        };
      }
      throw missing(provider, sample, 'DIGITAL_SAMBA_WEBHOOK_TOKEN, or DIGITAL_SAMBA_WEBHOOK_SECRET (or WEBHOOK_SECRET)');
    },
  },

  makecom: {
    route: () => `/api/webhook/make.com/${MAKECOM_SCENARIO}`,
    defaultSample: 'seed-chatgpt-clients',
    needs: 'MAKE_COM_API_KEY (x-make-apikey) and/or MAKE_COM_WEBHOOK_SECRET (X-Hub-Signature-256), as MAKE_COM_AUTH says',
    credentialHeaders: ['x-make-apikey', 'x-hub-signature-256'],
    describe(body) {
      if (typeof body.action_id !== 'string') return 'not a client action (no client_id/action_id/task): the hub answers 400';
      return `makecom.${body.action_id} (client ${body.client_id})`;
    },
    ids(body, suffix) {
      // The task is the record the Idempotency-Key names (`<execution>:<task id>`); without a key the body's digest is the dedupe key.
      const task = isObject(body.task) ? body.task.id : undefined;
      if (typeof task === 'string') return [{ label: 'task id', old: task, fresh: `${task}-${suffix}` }];
      if (typeof body.execution_id === 'string') return [{ label: 'execution id', old: body.execution_id, fresh: `${body.execution_id}-${suffix}` }];
      if (typeof body.client_id === 'string') return [{ label: 'client id', old: body.client_id, fresh: `${body.client_id}-${suffix}` }];
      return [];
    },
    sign({ env, body, provider, sample }) {
      const key = first(env.MAKE_COM_API_KEY);
      const secret = first(env.MAKE_COM_WEBHOOK_SECRET);
      const mode = (env.MAKE_COM_AUTH || 'either').trim().toLowerCase();
      if (!['either', 'apikey', 'signature', 'both'].includes(mode)) {
        throw new UsageError(`MAKE_COM_AUTH must be either, apikey, signature or both (got ${JSON.stringify(env.MAKE_COM_AUTH)})`);
      }
      const validation = !['false', '0'].includes(String(env.WEBHOOK_VALIDATION_ENABLED ?? '').trim().toLowerCase());
      if (validation) {
        if (mode === 'apikey' && !key) throw missing(provider, sample, 'MAKE_COM_API_KEY (MAKE_COM_AUTH=apikey)');
        if (mode === 'signature' && !secret) throw missing(provider, sample, 'MAKE_COM_WEBHOOK_SECRET (MAKE_COM_AUTH=signature)');
        if (mode === 'both' && (!key || !secret)) {
          const absent = [!key && 'MAKE_COM_API_KEY', !secret && 'MAKE_COM_WEBHOOK_SECRET'].filter(Boolean).join(' and ');
          throw missing(provider, sample, `${absent} (MAKE_COM_AUTH=both)`);
        }
        if (!key && !secret) throw missing(provider, sample, 'MAKE_COM_API_KEY or MAKE_COM_WEBHOOK_SECRET');
      }
      // Everything configured is sent: the hub checks every credential it is given.
      const headers = {};
      const schemes = [];
      if (key) {
        headers['x-make-apikey'] = key;
        schemes.push('x-make-apikey: <MAKE_COM_API_KEY>');
      }
      if (secret) {
        headers['X-Hub-Signature-256'] = `sha256=${hmacHex(secret, body)}`;
        schemes.push('X-Hub-Signature-256: sha256=<HMAC>');
      }
      return { headers, scheme: schemes.join(' + ') || 'unsigned (WEBHOOK_VALIDATION_ENABLED=false)' };
    },
  },

  tavus: {
    route: () => '/api/tavus/webhook',
    defaultSample: 'doc-conversation-tool-called',
    needs: 'TAVUS_WEBHOOK_TOKEN (?t= on the URL), else TAVUS_WEBHOOK_SECRET (x-tavus-signature)',
    credentialHeaders: ['x-tavus-signature', 'tavus-signature'],
    describe(body) {
      if (body.event_type !== undefined) return `tavus.${body.event_type}`;
      if (body.video_id !== undefined) return `tavus.video.${body.status}`;
      return `tavus.replica.${body.status}`;
    },
    ids(body, suffix) {
      const fresh = (label, old) => (typeof old === 'string' && old !== '' ? [{ label, old, fresh: `${old}-${suffix}` }] : []);
      // Callbacks are keyed by (conversation_id, event_type), replica/video ones by (id, status), the document's by the bytes.
      if (body.event_type !== undefined) {
        return [
          ...fresh('conversation_id', body.conversation_id),
          ...fresh('tool_call.id', isObject(body.tool_call) ? body.tool_call.id : undefined),
          ...fresh('tool_call_id', body.tool_call_id),
          ...fresh('message.id', isObject(body.message) ? body.message.id : undefined),
          ...fresh('inference_id', body.inference_id),
        ];
      }
      if (body.video_id !== undefined) return fresh('video_id', body.video_id);
      return fresh('replica_id', body.replica_id);
    },
    sign({ env, body, provider, sample }) {
      const token = first(env.TAVUS_WEBHOOK_TOKEN);
      if (token) return { headers: {}, query: { t: token }, scheme: '?t=<TAVUS_WEBHOOK_TOKEN>' };
      const secret = first(env.TAVUS_WEBHOOK_SECRET);
      if (secret) return { headers: { 'x-tavus-signature': `sha256=${hmacHex(secret, body)}` }, scheme: 'x-tavus-signature: sha256=<HMAC>' };
      throw missing(provider, sample, 'TAVUS_WEBHOOK_TOKEN or TAVUS_WEBHOOK_SECRET');
    },
  },

  whatsapp: {
    route: () => '/webhooks/whatsapp',
    defaultSample: 'meta-text-message',
    needs: 'WHATSAPP_APP_SECRET for Meta samples (X-Hub-Signature-256), WHATSAPP_WEBHOOK_SECRET for bridge samples (X-Webhook-Signature)',
    credentialHeaders: ['x-hub-signature-256', 'x-webhook-signature'],
    describe(body) {
      if (!isMetaDelivery(body)) return `whatsapp.${body.event} (bridge; WHATSAPP_WEBHOOK_SECRET)`;
      const counts = new Map();
      for (const change of metaChanges(body)) {
        const value = isObject(change.value) ? change.value : {};
        const types =
          change.field !== 'messages'
            ? [`whatsapp.${change.field}`]
            : [
                ...(value.messages ?? []).map(() => 'whatsapp.message.received'),
                ...(value.statuses ?? []).map(() => 'whatsapp.message.status'),
                ...(value.errors ?? []).map(() => 'whatsapp.error'),
              ];
        for (const type of types) counts.set(type, (counts.get(type) ?? 0) + 1);
      }
      const types = [...counts].map(([type, n]) => (n > 1 ? `${n}× ${type}` : type)).join(', ');
      return `${types} (Meta; WHATSAPP_APP_SECRET)`;
    },
    ids(body, suffix) {
      const ids = [];
      const add = (label, old) => typeof old === 'string' && old !== '' && ids.push({ label, old, fresh: `${old}-${suffix}` });
      if (isMetaDelivery(body)) {
        // Messages are keyed by their wamid, statuses by (wamid, status); other changes by their content.
        const entries = Array.isArray(body.entry) ? body.entry.filter(isObject) : [];
        for (const change of metaChanges(body)) {
          const value = isObject(change.value) ? change.value : {};
          for (const message of Array.isArray(value.messages) ? value.messages : []) add('message id', message?.id);
          for (const status of Array.isArray(value.statuses) ? value.statuses : []) add('status id', status?.id);
        }
        // Other changes (template status, ...) are keyed by (account, time, value): a marked account id is always new.
        if (ids.length === 0) for (const entry of entries) add('entry id', entry.id);
        return ids;
      }
      // The bridge: Baileys message keys (data.messages[].key.id, data.key.id, data[].key.id, data.id).
      const data = body.data;
      const items = Array.isArray(data) ? data : isObject(data) && Array.isArray(data.messages) ? data.messages : isObject(data) ? [data] : [];
      for (const item of items) if (isObject(item)) add('message id', isObject(item.key) ? item.key.id : item.id);
      return ids;
    },
    sign({ env, body, parsed, provider, sample }) {
      if (isMetaDelivery(parsed)) {
        const secret = first(env.WHATSAPP_APP_SECRET);
        if (!secret) throw missing(provider, sample, 'WHATSAPP_APP_SECRET (the Meta App Secret)');
        return { headers: { 'X-Hub-Signature-256': `sha256=${hmacHex(secret, body)}` }, scheme: 'X-Hub-Signature-256: sha256=<HMAC> (Meta)' };
      }
      const secret = first(env.WHATSAPP_WEBHOOK_SECRET);
      if (!secret) throw missing(provider, sample, 'WHATSAPP_WEBHOOK_SECRET (the bridge secret)');
      return { headers: { 'X-Webhook-Signature': `sha256=${hmacHex(secret, body)}` }, scheme: 'X-Webhook-Signature: sha256=<HMAC> (bridge)' };
    },
  },

  cctelegram: {
    route: (body) => {
      const route = CCTELEGRAM_ROUTES[body.webhook_type];
      if (!route) throw new UsageError(`cctelegram sample has webhook_type ${JSON.stringify(body.webhook_type)}: expected one of ${Object.keys(CCTELEGRAM_ROUTES).join(', ')}`);
      return `/webhook/${route}`;
    },
    defaultSample: 'doc-event-processed',
    needs: 'CCTELEGRAM_WEBHOOK_SECRET (X-CCTelegram-Signature, with a fresh X-CCTelegram-Timestamp)',
    credentialHeaders: ['x-cctelegram-signature', 'x-cctelegram-timestamp'],
    describe(body) {
      return `cctelegram.${body.webhook_type} → /webhook/${CCTELEGRAM_ROUTES[body.webhook_type] ?? '?'}`;
    },
    ids(body, suffix) {
      const id = isObject(body.event) ? body.event.id : isObject(body.response) ? body.response.id : undefined;
      const label = isObject(body.event) ? 'event.id' : 'response.id';
      if (typeof id === 'string' && id !== '') return [{ label, old: id, fresh: `${id}-${suffix}` }];
      // Health updates carry no id (keyed by the bytes): a fresh timestamp makes them new.
      if (typeof body.timestamp === 'string') return [{ label: 'timestamp', old: body.timestamp, fresh: new Date().toISOString() }];
      return [];
    },
    sign({ env, body, provider, sample }) {
      const secret = first(env.CCTELEGRAM_WEBHOOK_SECRET);
      if (!secret) throw missing(provider, sample, 'CCTELEGRAM_WEBHOOK_SECRET');
      return {
        headers: {
          'X-CCTelegram-Signature': `sha256=${hmacHex(secret, body)}`,
          // Always now: the hub accepts ±CCTELEGRAM_TIMESTAMP_TOLERANCE_SECONDS (300 s). The fixtures' own are long stale.
          'X-CCTelegram-Timestamp': String(Math.floor(Date.now() / 1000)),
        },
        scheme: 'X-CCTelegram-Signature: sha256=<HMAC> + X-CCTelegram-Timestamp: <now>',
      };
    },
  },

  telegram: {
    route: () => '/webhooks/telegram',
    defaultSample: 'reference-message',
    needs: 'TELEGRAM_SECRET_TOKEN (X-Telegram-Bot-Api-Secret-Token)',
    credentialHeaders: ['x-telegram-bot-api-secret-token'],
    describe(body) {
      const field = Object.keys(body).find((key) => key !== 'update_id' && isObject(body[key]));
      return `telegram.${field}`;
    },
    ids(body, suffix) {
      // update_id is the dedupe key; a random one far above the samples' (safe integer, positive).
      if (typeof body.update_id === 'number') return [{ label: 'update_id', key: 'update_id', old: body.update_id, fresh: randomInt(1e12, 2 ** 47) }];
      return [];
    },
    sign({ env, provider, sample }) {
      const token = first(env.TELEGRAM_SECRET_TOKEN);
      if (!token) throw missing(provider, sample, 'TELEGRAM_SECRET_TOKEN');
      if (!TELEGRAM_TOKEN_FORMAT.test(token)) throw new UsageError('TELEGRAM_SECRET_TOKEN must be 1-256 characters of A-Z a-z 0-9 _ - (as setWebhook allows)');
      return { headers: { 'X-Telegram-Bot-Api-Secret-Token': token }, scheme: 'X-Telegram-Bot-Api-Secret-Token: <TELEGRAM_SECRET_TOKEN>' };
    },
  },
};

/** The WhatsApp adapter's own test: a Meta delivery has `object` or `entry`; the bridge sends `{event, timestamp, data}`. */
function isMetaDelivery(body) {
  return body.object !== undefined || body.entry !== undefined;
}

function metaChanges(body) {
  const entries = Array.isArray(body.entry) ? body.entry.filter(isObject) : [];
  return entries.flatMap((entry) => (Array.isArray(entry.changes) ? entry.changes.filter(isObject) : []));
}

// ---------------------------------------------------------------------------------------------
// samples

function providerOrFail(name) {
  const provider = PROVIDERS[name];
  if (!provider) throw new UsageError(`unknown provider ${JSON.stringify(name)}: expected one of ${Object.keys(PROVIDERS).join(', ')} (see --list)`);
  return provider;
}

/** The sample names of a provider: every test/fixtures/<provider>/<name>.json that is not a headers template, default first. */
function sampleNames(providerName) {
  const dir = join(FIXTURES, providerName);
  if (!existsSync(dir)) return [];
  const names = readdirSync(dir)
    .filter((file) => file.endsWith('.json') && !file.endsWith('.headers.json'))
    .map((file) => file.slice(0, -'.json'.length))
    .sort();
  const preferred = PROVIDERS[providerName].defaultSample;
  return names.includes(preferred) ? [preferred, ...names.filter((n) => n !== preferred)] : names;
}

/** A sample's exact body bytes and its headers template (or just a JSON content type). */
function loadSample(providerName, sample) {
  const names = sampleNames(providerName);
  if (!names.includes(sample)) {
    throw new UsageError(`no sample ${JSON.stringify(sample)} for ${providerName}: choose one of ${names.join(', ')}`);
  }
  const body = readFileSync(join(FIXTURES, providerName, `${sample}.json`));
  const headersFile = join(FIXTURES, providerName, `${sample}.headers.json`);
  const template = existsSync(headersFile) ? JSON.parse(readFileSync(headersFile, 'utf8')) : { 'Content-Type': 'application/json' };
  return { body, template };
}

/**
 * `--unique`: every natural id replaced in the raw text (strings wherever they occur, numbers only as
 * the value of their key), so everything else keeps its bytes. Returns the new body and what changed.
 */
function rewriteIds(body, ids) {
  let text = body.toString('utf8');
  // Longest first, so an id that contains another is rewritten whole.
  const ordered = [...ids].sort((a, b) => String(b.old).length - String(a.old).length);
  const done = new Set();
  for (const id of ordered) {
    const identity = `${typeof id.old}:${id.key ?? ''}:${id.old}`;
    if (done.has(identity)) continue;
    done.add(identity);
    if (typeof id.old === 'string') {
      if (!text.includes(id.old)) throw new Error(`--unique: the ${id.label} ${JSON.stringify(id.old)} is not written literally in the sample`);
      text = text.split(id.old).join(id.fresh);
    } else {
      const pattern = new RegExp(`("${id.key}"\\s*:\\s*)${id.old}(?![0-9.eE])`, 'g');
      if (!pattern.test(text)) throw new Error(`--unique: "${id.key}": ${id.old} is not written literally in the sample`);
      text = text.replace(pattern, `$1${id.fresh}`);
    }
  }
  JSON.parse(text); // the rewrite keeps the body JSON (the fresh values are plain id characters)
  return Buffer.from(text, 'utf8');
}

/**
 * Everything to send for one sample: method, URL, headers and the exact body. The template's
 * credential headers are replaced by the provider's own signature over the (possibly rewritten) bytes.
 */
function buildRequest({ providerName, sample, env, baseUrl, unique }) {
  const provider = providerOrFail(providerName);
  const loaded = loadSample(providerName, sample);
  let body = loaded.body;
  let parsed = JSON.parse(body.toString('utf8'));
  const changes = [];
  const templateHeaders = { ...loaded.template };
  if (unique) {
    const suffix = tag(); // one per run, so every rewritten id of a request shows the same mark
    const ids = provider.ids(parsed, suffix);
    if (ids.length === 0) throw new UsageError(`--unique: ${providerName}/${sample} has no id to rewrite`);
    body = rewriteIds(body, ids);
    parsed = JSON.parse(body.toString('utf8'));
    changes.push(...ids);
    // Make.com's Idempotency-Key names the record (`<execution>:<task id>`): it is the dedupe key, so it changes too.
    for (const [name, value] of Object.entries(templateHeaders)) {
      if (name.toLowerCase() !== 'idempotency-key') continue;
      let fresh = value;
      for (const id of ids) if (typeof id.old === 'string') fresh = fresh.split(id.old).join(id.fresh);
      if (fresh === value) fresh = `${value}:${suffix}`;
      templateHeaders[name] = fresh;
      changes.push({ label: 'Idempotency-Key', old: value, fresh });
    }
  }

  const credential = new Set(provider.credentialHeaders);
  const headers = {};
  for (const [name, value] of Object.entries(templateHeaders)) {
    if (credential.has(name.toLowerCase())) continue;
    if (/\{\{\w+\}\}/.test(value)) throw new Error(`${providerName}/${sample}.headers.json: unexpected placeholder in ${name}`);
    headers[name] = value;
  }
  if (!Object.keys(headers).some((name) => name.toLowerCase() === 'content-type')) headers['Content-Type'] = 'application/json';

  const signed = provider.sign({ env, body, parsed, provider: providerName, sample });
  Object.assign(headers, signed.headers);
  const url = new URL(baseUrl.replace(/\/+$/, '') + provider.route(parsed));
  for (const [key, value] of Object.entries(signed.query ?? {})) url.searchParams.set(key, value);
  return { method: 'POST', url, headers, body, scheme: signed.scheme, changes };
}

// ---------------------------------------------------------------------------------------------
// command line

function defaultBaseUrl(env) {
  return env.HUB_URL || env.PUBLIC_URL || `http://localhost:${env.PORT || 3000}`;
}

function parseArgs(argv) {
  const options = { positional: [], list: false, unique: false, help: false, url: undefined };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--list' || arg === '-l') options.list = true;
    else if (arg === '--unique' || arg === '-u') options.unique = true;
    else if (arg === '--help' || arg === '-h') options.help = true;
    else if (arg === '--url') {
      if (argv[i + 1] === undefined) throw new UsageError('--url needs a value, e.g. --url http://localhost:3000');
      options.url = argv[(i += 1)];
    } else if (arg.startsWith('--url=')) options.url = arg.slice('--url='.length);
    else if (arg.startsWith('-')) throw new UsageError(`unknown option ${arg} (see --help)`);
    else options.positional.push(arg);
  }
  if (options.positional.length > 2) throw new UsageError(`too many arguments: ${options.positional.slice(2).join(' ')} (see --help)`);
  return options;
}

const USAGE = `usage: npm run simulate -- <provider> [sample] [--url http://host:port] [--unique]
       npm run simulate -- --list [provider]

Signs a recorded sample event exactly as the platform does (secrets from the environment or ./.env),
sends it to a running hub and prints the status and the reply body.
  --list     every provider with its samples and the credential it needs
  --unique   rewrite the sample's id first, so the hub stores a new event instead of "duplicate"
  --url      the hub's base URL (default: HUB_URL, else PUBLIC_URL, else http://localhost:$PORT, PORT 3000)
providers: ${Object.keys(PROVIDERS).join(', ')}`;

/** What --list prints: per provider its route, the credential and whether it is set, and its samples. */
function listing(env, only) {
  const names = only ? [only] : Object.keys(PROVIDERS);
  if (only) providerOrFail(only);
  const lines = ['Samples from test/fixtures/<provider>/ (* = the default). Secrets come from the environment or ./.env.', ''];
  for (const name of names) {
    const provider = PROVIDERS[name];
    const samples = sampleNames(name);
    const routes = new Set();
    const rows = samples.map((sample) => {
      const parsed = JSON.parse(readFileSync(join(FIXTURES, name, `${sample}.json`), 'utf8'));
      let what;
      try {
        routes.add(provider.route(parsed));
        what = provider.describe(parsed);
      } catch (error) {
        what = `(unusable: ${error.message})`;
      }
      return { sample, what };
    });
    // Whether this environment can sign: per sample, since WhatsApp's Meta and bridge samples need different secrets.
    const ready = new Set();
    const notReady = new Set();
    for (const sample of samples) {
      try {
        const parsed = JSON.parse(readFileSync(join(FIXTURES, name, `${sample}.json`), 'utf8'));
        ready.add(provider.sign({ env, body: Buffer.from('{}'), parsed, provider: name, sample }).scheme);
      } catch (error) {
        notReady.add(error.message.replace(/^cannot sign [^:]+: /, '').replace(/ in the environment or \.\/\.env$/, ''));
      }
    }
    const status =
      notReady.size === 0
        ? `ready: sends ${[...ready].join(' | ')}`
        : ready.size === 0
          ? `not ready: ${[...notReady].join('; ')}`
          : `ready for some samples (${[...ready].join(' | ')}); for the others ${[...notReady].join('; ')}`;
    lines.push(`${name}  POST ${[...routes].join(', ')}`);
    lines.push(`  needs  ${provider.needs}`);
    lines.push(`  now    ${status}`);
    const width = Math.max(...rows.map((r) => r.sample.length));
    for (const { sample, what } of rows) lines.push(`  ${sample === provider.defaultSample ? '*' : ' '} ${sample.padEnd(width)}  ${what}`);
    lines.push('');
  }
  lines.push('Send one: npm run simulate -- <provider> [sample] [--unique] [--url http://host:port]');
  return lines.join('\n');
}

/** The URL as printed: a token in the query (Tavus ?t=) is a secret. */
function printableUrl(url) {
  const shown = new URL(url);
  if (shown.searchParams.has('t')) shown.searchParams.set('t', '***');
  return shown.toString().replace('t=***', 't=<TAVUS_WEBHOOK_TOKEN>');
}

function hint(status, text, providerName) {
  let reply;
  try {
    reply = JSON.parse(text);
  } catch {
    reply = undefined;
  }
  // `{"duplicate": true, ...}`, or an answer that lists only duplicates (`accepted: []`).
  const duplicate =
    isObject(reply) &&
    (reply.duplicate === true || (Array.isArray(reply.accepted) && reply.accepted.length === 0 && Array.isArray(reply.duplicates) && reply.duplicates.length > 0));
  if (duplicate) return 'already stored: a redelivery, so nothing new; add --unique to store a new event';
  if (status === 401) return 'the hub refused the credentials: the hub and this script must use the same secret';
  if (status === 503 && /not configured/i.test(text)) return `the hub has no secret for ${providerName}: set it where the hub runs and restart it`;
  return undefined;
}

async function main(argv) {
  const options = parseArgs(argv);
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const env = loadEnv();
  if (options.list) {
    process.stdout.write(`${listing(env, options.positional[0])}\n`);
    return 0;
  }
  const [providerName, sampleArg] = options.positional;
  if (!providerName) throw new UsageError(`name a provider (${Object.keys(PROVIDERS).join(', ')}), or --list to see them all`);
  const provider = providerOrFail(providerName);
  const sample = sampleArg ?? provider.defaultSample;

  const baseUrl = options.url ?? defaultBaseUrl(env);
  try {
    const parsedUrl = new URL(baseUrl);
    if (!/^https?:$/.test(parsedUrl.protocol)) throw new Error('not http(s)');
  } catch {
    throw new UsageError(`not an http(s) URL: ${JSON.stringify(baseUrl)} (e.g. --url http://localhost:3000)`);
  }

  const request = buildRequest({ providerName, sample, env, baseUrl, unique: options.unique });
  const out = [`POST ${printableUrl(request.url)}`, `  sample  ${providerName}/${sample} (${request.body.length} bytes)`, `  auth    ${request.scheme}`];
  for (const change of request.changes) out.push(`  unique  ${change.label} ${JSON.stringify(change.old)} → ${JSON.stringify(change.fresh)}`);
  process.stdout.write(`${out.join('\n')}\n`);

  // Make.com answers once its work is done (up to WEBHOOK_TIMEOUT_SECONDS, 30 s by default).
  const timeoutMs = ((Number(env.WEBHOOK_TIMEOUT_SECONDS) || 30) + 30) * 1000;
  let response;
  try {
    response = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const reason = error.name === 'TimeoutError' ? `no answer within ${timeoutMs / 1000} s` : (error.cause?.code ?? error.cause?.message ?? error.message);
    process.stderr.write(`simulate: could not reach the hub at ${baseUrl}: ${reason} (is it running? npm start, or pass --url)\n`);
    return 2;
  }
  const text = await response.text();
  process.stdout.write(`HTTP ${response.status} ${response.statusText}\n${text}\n`);
  const note = hint(response.status, text, providerName);
  if (note) process.stdout.write(`(${note})\n`);
  return response.status >= 200 && response.status < 300 ? 0 : 2;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      // Usage, configuration and sample problems; 2 is kept for what the hub answered.
      process.stderr.write(`simulate: ${error.message}\n`);
      process.exitCode = 1;
    },
  );
} else {
  module.exports = { PROVIDERS, parseDotEnv, loadEnv, first, sampleNames, buildRequest, rewriteIds };
}
