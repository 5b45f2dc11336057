/** Names no other test (nor an earlier run on the same database) has used: `prefix-N-random`. */
let n = 0;

export function uniqueName(prefix: string): string {
  n += 1;
  return `${prefix}-${n}-${Math.random().toString(36).slice(2, 8)}`;
}
