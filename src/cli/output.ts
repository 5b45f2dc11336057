/**
 * How answers look on a terminal (SPEC §12): lists as a table (cli-table3), long work as a
 * progress bar (cli-progress) on stderr with the stage and the count. Off a terminal nothing of
 * this is drawn: the answer is the API's JSON.
 */
import { SingleBar } from 'cli-progress';
import Table from 'cli-table3';
import type { Column } from './command.ts';

/** A progress display: a bar on a terminal, nothing elsewhere. */
export interface Progress {
  start(total: number, stage: string): void;
  update(done: number, stage: string, total?: number): void;
  stop(): void;
}

export const noProgress: Progress = { start() {}, update() {}, stop() {} };

/** A bar on `stream` (stderr), so stdout stays the answer alone. */
export function progressBar(label: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  const bar = new SingleBar({
    stream,
    format: `${label.padEnd(6)} [{bar}] {percentage}% | {value}/{total} | {stage} | {duration_formatted}`,
    barCompleteChar: '█',
    barIncompleteChar: '░',
    hideCursor: true,
    clearOnComplete: false,
    etaBuffer: 20,
    formatValue: (v, _o, type) => (type === 'value' || type === 'total' ? v.toLocaleString('en') : String(v)),
  });
  let started = false;
  return {
    start(total, stage) {
      bar.start(total, 0, { stage });
      started = true;
    },
    update(done, stage, total) {
      if (total !== undefined && total !== bar.getTotal()) bar.setTotal(total);
      bar.update(done, { stage });
    },
    stop() {
      if (started) bar.stop();
      started = false;
    },
  };
}

/** A list answer as a table: one row per element, the command's columns. */
// biome-ignore lint/suspicious/noExplicitAny: the API's JSON
export function table(json: any, columns: readonly Column[]): string {
  const data: unknown[] = Array.isArray(json?.data) ? json.data : [];
  const t = new Table({ head: columns.map((c) => c.title), style: { head: [], border: [] } });
  for (const row of data) t.push(columns.map((c) => String(c.cell(row) ?? '')));
  const more = json?.has_more
    ? `\n(more: --starting-after ${(data.at(-1) as { id?: string })?.id ?? ''})`
    : '';
  return data.length ? `${t.toString()}${more}` : '(none)';
}
