import { setFlagsFromString } from 'node:v8';

/**
 * How far V8 lets the old space grow past what the last full collection kept, in percent (V8's
 * `--heap-growing-percent`; 100 = twice the live heap).
 *
 * Left to itself V8 picks a factor of up to 4 when collections are fast, so a gateway under load with
 * about 50 MB of live objects kept 130 MB of old space, most of it garbage, and RSS reached 235-286 MB
 * (docs/performance.md, Memory). At 100 the Express gateway stayed at 181-188 MB under the same load for
 * 1.01× the requests per second and 1.02-1.05× the CPU per request (bench/ab-pair.js, paired rounds).
 * A hard `--max-old-space-size` cap costs far more (1.28× the CPU per request at 192 MB).
 */
export const DEFAULT_HEAP_GROWING_PERCENT = 100;

/**
 * Sets V8's heap growing factor for this process unless Node was started with one, which then wins
 * (`node --heap-growing-percent=0 dist/main` gives V8's own choice back). NODE_OPTIONS cannot carry
 * this flag. Returns the flag set, or undefined when left alone.
 */
export function limitHeapGrowth(execArgv: readonly string[] = process.execArgv): string | undefined {
  if (execArgv.some((arg) => /^--heap[-_]growing[-_]percent(=|$)/.test(arg))) return undefined;
  const flag = `--heap-growing-percent=${DEFAULT_HEAP_GROWING_PERCENT}`;
  // Read at every full collection's limit computation, so setting it after start-up takes effect.
  setFlagsFromString(flag);
  return flag;
}
