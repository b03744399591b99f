import { execFileSync } from 'node:child_process';
import { DEFAULT_HEAP_GROWING_PERCENT, limitHeapGrowth } from './heap-growth';

describe('limitHeapGrowth', () => {
  it('sets the default growing factor when Node was started without one', () => {
    expect(limitHeapGrowth(['--enable-source-maps'])).toBe(`--heap-growing-percent=${DEFAULT_HEAP_GROWING_PERCENT}`);
  });

  it('leaves a factor given on the command line alone, in either spelling', () => {
    expect(limitHeapGrowth(['--heap-growing-percent=0'])).toBeUndefined();
    expect(limitHeapGrowth(['--heap_growing_percent=300'])).toBeUndefined();
  });

  it('is a flag this Node accepts, on the command line and at run time', () => {
    // An unknown V8 flag makes node exit with "bad option"; setFlagsFromString ignores it silently.
    const out = execFileSync(process.execPath, [`--heap-growing-percent=${DEFAULT_HEAP_GROWING_PERCENT}`, '-p', '1'], { encoding: 'utf8' });
    expect(out.trim()).toBe('1');
    const listed = execFileSync(process.execPath, ['--v8-options'], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
    expect(listed).toMatch(/--heap-growing-percent/);
  });
});
