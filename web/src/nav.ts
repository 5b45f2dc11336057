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
];
