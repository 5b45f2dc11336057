/**
 * The left navigation (SPEC §10's words). Only pages that exist are listed: a page is added here
 * and in routes.tsx together.
 */
export interface NavItem {
  key: string;
  label: string;
  path?: string;
  children?: { path: string; label: string }[];
}

export const NAV: NavItem[] = [
  { key: 'dashboard', label: 'nav.dashboard', path: '/' },
  {
    key: 'residential',
    label: 'nav.residential',
    children: [{ path: '/residential/buy', label: 'nav.buyTraffic' }],
  },
  {
    key: 'mobile',
    label: 'nav.mobile',
    children: [{ path: '/mobile/buy', label: 'nav.buyTraffic' }],
  },
  {
    key: 'isp',
    label: 'nav.isp',
    children: [
      { path: '/isp/order', label: 'nav.orderIps' },
      { path: '/isp/batches', label: 'nav.batches' },
    ],
  },
  {
    key: 'servers',
    label: 'nav.servers',
    children: [
      { path: '/servers', label: 'servers.nav' },
      { path: '/servers/coupons', label: 'coupons.nav' },
    ],
  },
  {
    key: 'billing',
    label: 'nav.billing',
    children: [
      { path: '/billing/orders', label: 'nav.orders' },
      { path: '/billing/payment-methods', label: 'nav.paymentMethods' },
      { path: '/billing/transactions', label: 'nav.transactions' },
      { path: '/billing/vouchers', label: 'nav.vouchers' },
    ],
  },
  { key: 'subusers', label: 'nav.subusers', path: '/subusers' },
  { key: 'settings', label: 'nav.settings', children: [{ path: '/settings/alerts', label: 'nav.alerts' }] },
  { key: 'apiKeys', label: 'nav.apiKeys', path: '/api-keys' },
  { key: 'kyc', label: 'nav.kyc', path: '/kyc' },
];
