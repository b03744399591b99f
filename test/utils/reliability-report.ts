import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where suites leave their figures; `npm run reliability:report` turns them into docs/reliability.md. */
export const RELIABILITY_DIR = join(__dirname, '..', 'artifacts', 'reliability');

export interface ReliabilitySection {
  /** Section heading in docs/reliability.md. */
  title: string;
  /** Order of sections in the document (lower first). */
  order: number;
  /** One line on what was done. */
  method: string;
  /** Label → figure, shown as a two-column table. */
  figures: [string, string | number][];
  /** What goes into the summary table at the top (summed over suites and adapters). */
  summary: { eventsUnderLoad?: number; faultsSurvived?: number; badInputs?: number; eventsLost?: number; serverErrors?: number; recovery?: string[] };
}

/**
 * Records one suite's figures for docs/reliability.md. Each HTTP adapter writes its own file, so the
 * document shows both (the name carries the adapter).
 */
export function recordReliability(name: string, section: ReliabilitySection): void {
  mkdirSync(RELIABILITY_DIR, { recursive: true });
  const adapter = process.env.HTTP_ADAPTER ?? 'express';
  const file = join(RELIABILITY_DIR, `${name}.${adapter}.json`);
  writeFileSync(file, JSON.stringify({ ...section, adapter, recordedAt: new Date().toISOString() }, null, 2));
}
