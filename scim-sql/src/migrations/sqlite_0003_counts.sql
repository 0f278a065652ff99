-- scim-sql schema, version 3 (SQLite): how many resources each tenant
-- holds of each type, per owner and deletion state, kept by triggers so
-- that the `totalResults` of an unfiltered list is one row read, not a
-- count of every row (flat from a thousand users to a million).
-- `owner` is '' for a resource without owner.
CREATE TABLE scim_counts (
    tenant        TEXT    NOT NULL,
    resource_type TEXT    NOT NULL,
    owner         TEXT    NOT NULL,
    deleted       INTEGER NOT NULL,
    n             INTEGER NOT NULL,
    PRIMARY KEY (tenant, resource_type, owner, deleted)
) WITHOUT ROWID;

INSERT INTO scim_counts (tenant, resource_type, owner, deleted, n)
SELECT tenant, resource_type, COALESCE(owner, ''), deleted, count(*)
FROM scim_resources GROUP BY tenant, resource_type, COALESCE(owner, ''), deleted;

CREATE TRIGGER scim_counts_insert AFTER INSERT ON scim_resources
BEGIN
    INSERT INTO scim_counts (tenant, resource_type, owner, deleted, n)
    VALUES (NEW.tenant, NEW.resource_type, COALESCE(NEW.owner, ''), NEW.deleted, 1)
    ON CONFLICT (tenant, resource_type, owner, deleted) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER scim_counts_delete AFTER DELETE ON scim_resources
BEGIN
    UPDATE scim_counts SET n = n - 1
    WHERE tenant = OLD.tenant AND resource_type = OLD.resource_type
      AND owner = COALESCE(OLD.owner, '') AND deleted = OLD.deleted;
END;

CREATE TRIGGER scim_counts_update AFTER UPDATE OF owner, deleted ON scim_resources
WHEN OLD.owner IS NOT NEW.owner OR OLD.deleted IS NOT NEW.deleted
BEGIN
    UPDATE scim_counts SET n = n - 1
    WHERE tenant = OLD.tenant AND resource_type = OLD.resource_type
      AND owner = COALESCE(OLD.owner, '') AND deleted = OLD.deleted;
    INSERT INTO scim_counts (tenant, resource_type, owner, deleted, n)
    VALUES (NEW.tenant, NEW.resource_type, COALESCE(NEW.owner, ''), NEW.deleted, 1)
    ON CONFLICT (tenant, resource_type, owner, deleted) DO UPDATE SET n = n + 1;
END;
