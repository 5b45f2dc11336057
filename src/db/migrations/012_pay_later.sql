-- Pay later (issue 4, item 2): what an unpaid order still needs when it is paid — the vouchers
-- named at creation and, for ISP, the batch's request (subuser, term, auto-renew). Null for orders
-- paid at once. The ISP IPs it holds are isp_ips.status 'held' with held_by_order_id (004).
ALTER TABLE orders ADD COLUMN pay_later jsonb;
