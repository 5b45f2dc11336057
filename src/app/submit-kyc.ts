/**
 * POST /v1/kyc (SPEC §2): a customer submits legal name, country and a document reference; the
 * account goes to `pending` until an operator decides (decide-kyc.ts). One submission is under
 * review at a time; after a rejection the customer may submit again; approved is final.
 */
import { getAccount, insertKycSubmission, setKycStatus } from '../db/accounts.ts';
import { err, ok, type Result } from '../domain/errors.ts';
import type { Deps } from './deps.ts';
import { findKyc, type KycState } from './query-accounts.ts';

/**
 * ISO 3166-1 alpha-2, the 249 assigned codes, plus XK (Kosovo: user-assigned, but used by the
 * EU, SWIFT and payment networks for the customers who live there).
 */
const COUNTRY_CODES = new Set(
  (
    'ad ae af ag ai al am ao aq ar as at au aw ax az ba bb bd be bf bg bh bi bj bl bm bn bo bq br bs ' +
    'bt bv bw by bz ca cc cd cf cg ch ci ck cl cm cn co cr cu cv cw cx cy cz de dj dk dm do dz ec ee ' +
    'eg eh er es et fi fj fk fm fo fr ga gb gd ge gf gg gh gi gl gm gn gp gq gr gs gt gu gw gy hk hm ' +
    'hn hr ht hu id ie il im in io iq ir is it je jm jo jp ke kg kh ki km kn kp kr kw ky kz la lb lc ' +
    'li lk lr ls lt lu lv ly ma mc md me mf mg mh mk ml mm mn mo mp mq mr ms mt mu mv mw mx my mz na ' +
    'nc ne nf ng ni nl no np nr nu nz om pa pe pf pg ph pk pl pm pn pr ps pt pw py qa re ro rs ru rw ' +
    'sa sb sc sd se sg sh si sj sk sl sm sn so sr ss st sv sx sy sz tc td tf tg th tj tk tl tm tn to ' +
    'tr tt tv tw tz ua ug um us uy uz va vc ve vg vi vn vu wf ws ye yt za zm zw xk'
  ).split(' '),
);

/** A country code as stored: lower case, or null when it is not an ISO 3166-1 alpha-2 code. */
export function normalizeCountry(input: string): string | null {
  const c = input.trim().toLowerCase();
  return COUNTRY_CODES.has(c) ? c : null;
}

export interface SubmitKycCommand {
  accountId: string;
  legalName: string;
  country: string;
  documentReference: string;
}

export async function submitKyc(deps: Deps, cmd: SubmitKycCommand): Promise<Result<KycState>> {
  const legalName = cmd.legalName.trim();
  if (!legalName) return err('invalid_request', 'legal_name must not be blank', { param: 'legal_name' });
  const documentReference = cmd.documentReference.trim();
  if (!documentReference) {
    return err('invalid_request', 'document_reference must not be blank', { param: 'document_reference' });
  }
  const country = normalizeCountry(cmd.country);
  if (!country) {
    return err(
      'invalid_request',
      `country must be an ISO 3166-1 alpha-2 code (e.g. "us", "gb"), got "${cmd.country}"`,
      {
        param: 'country',
      },
    );
  }
  const at = await deps.clock.now();
  const result = await deps.db.tx(async (q): Promise<Result<null>> => {
    // the row lock serializes two submissions racing for the same account
    const account = await getAccount(q, cmd.accountId, { forUpdate: true });
    if (!account) return err('not_found', `No such account: ${cmd.accountId}`);
    if (account.kycStatus === 'pending') {
      return err('invalid_state', 'A KYC submission is already under review');
    }
    if (account.kycStatus === 'approved') return err('invalid_state', 'KYC is already approved');
    await insertKycSubmission(q, {
      id: deps.ids.next('kyc'),
      accountId: account.id,
      legalName,
      country,
      documentReference,
      at,
    });
    await setKycStatus(q, account.id, 'pending', at);
    return ok(null);
  });
  if (!result.ok) return result;
  return findKyc(deps, cmd.accountId);
}
