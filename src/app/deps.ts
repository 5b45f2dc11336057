/** What every use-case receives as its first argument: passed, not injected. */
import type { Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import type { Db } from '../db/client.ts';
import type { MailTransport } from '../gateways/mail-transport.ts';
import type { PaymentGateway } from '../gateways/payment-gateway.ts';
import type { Provisioner } from '../gateways/provisioner.ts';
import type { Ids } from '../ids.ts';

export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface Deps {
  db: Db;
  clock: Clock;
  ids: Ids;
  gateway: PaymentGateway;
  provisioner: Provisioner;
  mail: MailTransport;
  config: Config;
  log: Logger;
}

/**
 * The idempotency key of the request a use-case serves, if any. The use-case links what it
 * creates to the key inside its own transaction (db/idempotency.ts attachResource); it is plain
 * data so a payment's draft can carry it to the recovery job.
 */
export interface IdempotencyLink {
  scope: string;
  key: string;
}
