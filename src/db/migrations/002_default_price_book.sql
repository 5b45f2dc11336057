-- The default price book (SPEC §3). Operators edit it later; orders record their own prices.
INSERT INTO price_book (product, code, unit, min_quantity, unit_price4, updated_at) VALUES
  ('residential', 'payg', 'gb', 1, 45000, now()),
  ('residential', 'starter', 'gb', 100, 40000, now()),
  ('residential', 'pro', 'gb', 500, 35000, now()),
  ('residential', 'business', 'gb', 1000, 30000, now()),
  ('residential', 'enterprise', 'gb', 5000, 25000, now()),
  ('mobile', 'payg', 'gb', 1, 60000, now()),
  ('mobile', 'starter', 'gb', 100, 55000, now()),
  ('mobile', 'pro', 'gb', 500, 50000, now()),
  ('mobile', 'business', 'gb', 1000, 45000, now()),
  ('mobile', 'enterprise', 'gb', 5000, 40000, now())
ON CONFLICT (product, code) DO NOTHING;
