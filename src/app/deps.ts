/** What every use-case receives as its first argument: passed, not injected. */
import type { Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import type { Db } from '../db/client.ts';
import type { Order } from '../domain/order.ts';
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

/**
 * An Idempotency-Key not claimed yet (http/idempotency.ts defers the claim of POST /v1/orders): a
 * use-case that does its work in one statement claims the key, links the resource and stores the
 * answer (rendered by `answer`) in that statement; otherwise the caller claims the key first.
 */
export interface UnclaimedKey extends IdempotencyLink {
  requestHash: string;
  /** the 200 answer's body for the resource, exactly as it will be sent and replayed */
  answer(order: Order): string;
}
