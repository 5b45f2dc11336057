/**
 * The provisioner turns allocated IPs into working proxies (SPEC §6). Operators can plug in
 * their own; the built-in one simulates the provider's delays: T1 markets after a short delay,
 * long-tail countries later. Provisioning runs as a durable job, so a restart resumes it.
 */
import type { Config } from '../config.ts';

export interface ProvisionRequest {
  batchId: string;
  country: string;
  ips: { id: string; address: string; port: number }[];
}

export type ProvisionResult =
  | { status: 'ready' }
  | { status: 'retry'; reason: string }
  | { status: 'failed'; reason: string };

export interface Provisioner {
  readonly name: string;
  /** seconds from payment until the batch should be provisioned */
  delaySeconds(country: string): number;
  provision(req: ProvisionRequest, now: Date): Promise<ProvisionResult>;
}

export const T1_COUNTRIES = new Set(['us', 'ca', 'gb', 'de', 'fr', 'nl', 'jp', 'sg', 'au']);

export function builtinProvisioner(config: Pick<Config, 'ispProvisionSeconds'>): Provisioner {
  return {
    name: 'builtin',
    delaySeconds: (country) =>
      T1_COUNTRIES.has(country) ? config.ispProvisionSeconds.t1 : config.ispProvisionSeconds.longTail,
    provision: async () => ({ status: 'ready' }),
  };
}
