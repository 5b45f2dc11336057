-- A version number of the price book, bumped by every statement that writes price_book, so a
-- process may cache prices and a statement may check, in the same statement that charges, that
-- the prices it used are still the current ones (app/price-cache.ts).
CREATE TABLE price_book_version (
  id integer PRIMARY KEY CHECK (id = 1),
  version bigint NOT NULL
);
INSERT INTO price_book_version (id, version) VALUES (1, 1);
CREATE FUNCTION bump_price_book_version() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN UPDATE price_book_version SET version = version + 1 WHERE id = 1; RETURN NULL; END $$;
CREATE TRIGGER price_book_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON price_book
  FOR EACH STATEMENT EXECUTE FUNCTION bump_price_book_version();
