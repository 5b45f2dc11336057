/** The catalog's products (SPEC §3, §7): what an order is for and what a list filters by. */
export const PRODUCTS = ['residential', 'mobile', 'isp', 'server', 'reserved_instance'] as const;
export type Product = (typeof PRODUCTS)[number];
