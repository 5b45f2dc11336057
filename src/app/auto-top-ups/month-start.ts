/** The first instant of the UTC calendar month of `now`: an auto top-up cap's period (SPEC §2). */
export function monthStart(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
}
