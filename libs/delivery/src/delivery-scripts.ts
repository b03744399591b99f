import type Redis from 'ioredis';

/*
 * The delivery hot path's writes as Lua, one command each instead of a MULTI of 7-15: building the
 * commands in ioredis was the largest share of the worker's CPU in `npm run bench:delivery`.
 * Field maps travel as JSON (cjson in Redis), values already strings.
 */

/**
 * Records new deliveries; one that exists already (a fan-out re-run after a crash) keeps its record.
 * KEYS: [deliveriesIndex, deadLetters, (delivery, ofSubscription, ofEvent) per delivery]
 * ARGV: [ttlSeconds, expiredBound, (id, score, hashJson) per delivery]
 */
const CREATE_DELIVERIES_LUA = `
local ttl = tonumber(ARGV[1])
local expired = ARGV[2]
local n = (#KEYS - 2) / 3
local subscriptions = {}
for i = 0, n - 1 do
  local record, ofSubscription, ofEvent = KEYS[3 + i * 3], KEYS[4 + i * 3], KEYS[5 + i * 3]
  local id, score = ARGV[3 + i * 3], ARGV[4 + i * 3]
  if redis.call('EXISTS', record) == 0 then
    local flat = {}
    for field, value in pairs(cjson.decode(ARGV[5 + i * 3])) do
      flat[#flat + 1] = field
      flat[#flat + 1] = value
    end
    redis.call('HSET', record, unpack(flat))
    redis.call('EXPIRE', record, ttl)
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
 * Appends an attempt to a delivery's log and updates its record.
 * KEYS: [attempts, delivery, deadLetters, failingSince]
 * ARGV: [attemptJson, keep, ttlSeconds, stateJson, status, deadScore ('' = not dead), deliveryId, clearFailingSince ('1'/'0')]
 */
const RECORD_ATTEMPT_LUA = `
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[2]), -1)
redis.call('EXPIRE', KEYS[1], ARGV[3])
local flat = {}
for field, value in pairs(cjson.decode(ARGV[4])) do
  flat[#flat + 1] = field
  flat[#flat + 1] = value
end
redis.call('HSET', KEYS[2], unpack(flat))
if ARGV[5] ~= 'retrying' then redis.call('HDEL', KEYS[2], 'nextAttemptAt') end
if ARGV[5] == 'succeeded' then redis.call('HDEL', KEYS[2], 'lastError', 'deadAt') end
if ARGV[6] ~= '' then redis.call('ZADD', KEYS[3], ARGV[6], ARGV[7]) end
if ARGV[8] == '1' then redis.call('DEL', KEYS[4]) end
return 1
`;

export type DeliveryRedis = Redis & {
  hubCreateDeliveries(numKeys: number, ...keysAndArgs: (string | number)[]): Promise<number>;
  hubRecordAttempt(numKeys: number, ...keysAndArgs: (string | number)[]): Promise<number>;
};

/** Defines the scripts on a connection once (ioredis sends EVALSHA, falling back to EVAL). */
export function withDeliveryScripts(redis: Redis): DeliveryRedis {
  if (!('hubCreateDeliveries' in redis)) {
    redis.defineCommand('hubCreateDeliveries', { lua: CREATE_DELIVERIES_LUA });
    redis.defineCommand('hubRecordAttempt', { lua: RECORD_ATTEMPT_LUA });
  }
  return redis as DeliveryRedis;
}
