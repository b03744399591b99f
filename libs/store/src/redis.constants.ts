/** Injection token of the shared command connection (fails fast when Redis is down). */
export const REDIS_CLIENT = Symbol('REDIS_CLIENT');
