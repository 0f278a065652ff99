-- scim-sql schema, version 5 (PostgreSQL): creation order apart from the
-- row id, so that a create takes its tenant's counter last.
--
-- Until now `rid` was both: the key the value rows are written with, and
-- the creation order, handed out by the tenant's `scim_tenants` row. A
-- create took that row first (its `rid` was needed for everything else)
-- and held it through the value rows, the unique claims, the memberships
-- and the commit, so one tenant's creates ran one at a time for all of
-- that. Now `rid` comes from a sequence (no lock, gaps allowed: it only
-- has to be unique), the counter hands out `seq`, and a create takes it
-- just before writing its resource row: the lock is held for that row,
-- the counts trigger and the commit. `seq` still equals commit order, so
-- a client paging with startIndex or a cursor never misses a row.
ALTER TABLE scim_resources ADD COLUMN seq BIGINT;

-- Dropped before the backfill, so that the backfill maintains no order
-- index; built again on `seq` after it.
DROP INDEX scim_resources_order;

-- Every resource so far was numbered by the counter: its `rid` is its
-- creation order. (A cursor handed out before this migration holds a
-- `rid`, which stays a valid `seq`.)
UPDATE scim_resources SET seq = rid;

ALTER TABLE scim_resources ALTER COLUMN seq SET NOT NULL;

CREATE INDEX scim_resources_order ON scim_resources (tenant, resource_type, seq);

CREATE SEQUENCE scim_rid;

SELECT setval('scim_rid', COALESCE((SELECT max(rid) FROM scim_resources), 0) + 1, false);
