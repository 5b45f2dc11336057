-- Operators' edits of the price book (PATCH /admin/v1/price-book, SPEC §11): one row per price an
-- edit changed or added, with the price book version that edit made (price_book_version, bumped
-- once by the edit's one write of price_book) and the operator's reason. Orders keep the prices
-- they were sold at on their line items; this is the history of the book itself.
CREATE TABLE price_book_changes (
  version bigint NOT NULL,
  product text NOT NULL,
  code text NOT NULL,
  before_price4 bigint CHECK (before_price4 IS NULL OR before_price4 >= 0),
  after_price4 bigint NOT NULL CHECK (after_price4 >= 0),
  reason text,
  changed_at timestamptz NOT NULL,
  PRIMARY KEY (product, code, version)
);
