import type Redis from 'ioredis';

/*
 * The delivery hot path's writes as Lua, one command each instead of a MULTI of 7-15: building the
 * commands in ioredis was the largest share of the worker's CPU in `npm run bench:delivery`.
 * Field maps travel as JSON (cjson in Redis), values already strings.
 */

/**
 * Records new deliveries; one that exists already (a fan-out re-run after a crash) keeps its record.
 * Each new delivery takes a reference on its shared body (stored once per event and format); the
 * body travels once per distinct body, not once per delivery.
 * KEYS: [deliveriesIndex, deadLetters, (delivery, ofSubscription, ofEvent, payload) per delivery]
 * ARGV: [ttlSeconds, expiredBound, deliveryCount, (id, score, hashJson, bodyArgIndex) per delivery, bodies...]
 */
const CREATE_DELIVERIES_LUA = `
local ttl = tonumber(ARGV[1])
local expired = ARGV[2]
local n = tonumber(ARGV[3])
local subscriptions = {}
for i = 0, n - 1 do
  local record, ofSubscription, ofEvent, payload = KEYS[3 + i * 4], KEYS[4 + i * 4], KEYS[5 + i * 4], KEYS[6 + i * 4]
  local id, score = ARGV[4 + i * 4], ARGV[5 + i * 4]
  if redis.call('EXISTS', record) == 0 then
    local flat = {}
    for field, value in pairs(cjson.decode(ARGV[6 + i * 4])) do
      flat[#flat + 1] = field
      flat[#flat + 1] = value
    end
    redis.call('HSET', record, unpack(flat))
    redis.call('EXPIRE', record, ttl)
    redis.call('HSETNX', payload, 'body', ARGV[tonumber(ARGV[7 + i * 4])])
    redis.call('HINCRBY', payload, 'refs', 1)
    redis.call('EXPIRE', payload, ttl)
  end
  redis.call('ZADD', KEYS[1], 'NX', score, id)
  redis.call('ZADD', ofSubscription, 'NX', score, id)
  redis.call('ZADD', ofEvent, 'NX', score, id)
  redis.call('EXPIRE', ofEvent, ttl)
  subscriptions[ofSubscription] = true
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', expired)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', expired)
for ofSubscription in pairs(subscriptions) do
  redis.call('ZREMRANGEBYSCORE', ofSubscription, '-inf', expired)
end
return n
`;

/**
 * Drops a delivery's reference on its shared body, once (the record's payloadKey field is the
 * reference); the body goes when no delivery holds it.
 */
const releasePayloadLua = (record: string, payload: string) => `
if redis.call('HDEL', ${record}, 'payloadKey') == 1 then
  if redis.call('HINCRBY', ${payload}, 'refs', -1) <= 0 then redis.call('DEL', ${payload}) end
end
`;

/**
 * Takes a reference on a body for a delivery that holds none (a redrive): KEYS [delivery, payload],
 * ARGV [payloadKey, body, ttlSeconds].
 */
const RETAIN_PAYLOAD_LUA = `
if redis.call('HSETNX', KEYS[1], 'payloadKey', ARGV[1]) == 1 then
  redis.call('HSETNX', KEYS[2], 'body', ARGV[2])
  redis.call('HINCRBY', KEYS[2], 'refs', 1)
end
redis.call('EXPIRE', KEYS[2], ARGV[3])
return 1
`;

/**
 * Appends an attempt to a delivery's log and updates its record; a delivery that is done (succeeded
 * or dead) releases its body.
 * KEYS: [attempts, delivery, deadLetters, failingSince, payload]
 * ARGV: [attemptJson, keep, ttlSeconds, stateJson, status, deadScore ('' = not dead), deliveryId, clearFailingSince ('1'/'0')]
 */
const RECORD_ATTEMPT_LUA = `
local keep = tonumber(ARGV[2])
if redis.call('RPUSH', KEYS[1], ARGV[1]) > keep then redis.call('LTRIM', KEYS[1], -keep, -1) end
redis.call('EXPIRE', KEYS[1], ARGV[3])
local flat = {}
for field, value in pairs(cjson.decode(ARGV[4])) do
  flat[#flat + 1] = field
  flat[#flat + 1] = value
end
redis.call('HSET', KEYS[2], unpack(flat))
if ARGV[5] == 'succeeded' then
  redis.call('HDEL', KEYS[2], 'nextAttemptAt', 'lastError', 'deadAt')
elseif ARGV[5] ~= 'retrying' then
  redis.call('HDEL', KEYS[2], 'nextAttemptAt')
end
if ARGV[6] ~= '' then redis.call('ZADD', KEYS[3], ARGV[6], ARGV[7]) end
if ARGV[8] == '1' then redis.call('DEL', KEYS[4]) end
if ARGV[5] == 'succeeded' or ARGV[5] == 'dead' then
${releasePayloadLua('KEYS[2]', 'KEYS[5]')}
end
return 1
`;

/** KEYS: [delivery, payload] (the release step alone, for cancelled deliveries and failed jobs). */
const RELEASE_PAYLOAD_LUA = `
${releasePayloadLua('KEYS[1]', 'KEYS[2]')}
return 1
`;

export type DeliveryRedis = Redis & {
  hubCreateDeliveries(numKeys: number, ...keysAndArgs: (string | number)[]): Promise<number>;
  hubRecordAttempt(numKeys: number, ...keysAndArgs: (string | number)[]): Promise<number>;
  hubReleasePayload(numKeys: number, ...keysAndArgs: (string | number)[]): Promise<number>;
  hubRetainPayload(numKeys: number, ...keysAndArgs: (string | number)[]): Promise<number>;
};

/** Defines the scripts on a connection once (ioredis sends EVALSHA, falling back to EVAL). */
export function withDeliveryScripts(redis: Redis): DeliveryRedis {
  if (!('hubCreateDeliveries' in redis)) {
    redis.defineCommand('hubCreateDeliveries', { lua: CREATE_DELIVERIES_LUA });
    redis.defineCommand('hubRecordAttempt', { lua: RECORD_ATTEMPT_LUA });
    redis.defineCommand('hubReleasePayload', { lua: RELEASE_PAYLOAD_LUA });
    redis.defineCommand('hubRetainPayload', { lua: RETAIN_PAYLOAD_LUA });
  }
  return redis as DeliveryRedis;
}
