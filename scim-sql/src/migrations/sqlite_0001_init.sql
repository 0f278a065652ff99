-- scim-sql schema, version 1 (SQLite). Every key starts with the tenant.

-- One row per tenant: the creation counter. Taking it (UPDATE ... RETURNING)
-- inside the creating transaction makes creation order equal commit order.
CREATE TABLE scim_tenants (
    tenant   TEXT    NOT NULL PRIMARY KEY,
    next_rid INTEGER NOT NULL
);

-- Secrets every process sharing the database must agree on: `cursor`, the
-- key that seals RFC 9865 cursors (written once by `migrate`). Not per
-- tenant: with Citus, a reference table.
CREATE TABLE scim_keys (
    name  TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
);

-- One row per resource. `attributes` is the canonical JSON text
-- (`StoredJson`), copied into responses as it is.
CREATE TABLE scim_resources (
    tenant        TEXT    NOT NULL,
    id            TEXT    NOT NULL,
    rid           INTEGER NOT NULL,
    resource_type TEXT    NOT NULL,
    version       INTEGER NOT NULL,
    created       INTEGER NOT NULL,
    last_modified INTEGER NOT NULL,
    owner         TEXT,
    deleted       INTEGER NOT NULL DEFAULT 0,
    attributes    TEXT    NOT NULL,
    PRIMARY KEY (tenant, id),
    UNIQUE (tenant, rid)
);
CREATE INDEX scim_resources_order ON scim_resources (tenant, resource_type, rid);

-- Unique values (userName, a group's displayName): the primary key is the
-- uniqueness check. `value_key` is the value folded in Rust (unless
-- caseExact) and hashed, so that any length fits an index.
CREATE TABLE scim_unique (
    tenant        TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    attribute     TEXT NOT NULL,
    value_key     TEXT NOT NULL,
    id            TEXT NOT NULL,
    PRIMARY KEY (tenant, resource_type, attribute, value_key),
    FOREIGN KEY (tenant, id) REFERENCES scim_resources (tenant, id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX scim_unique_holder ON scim_unique (tenant, id);

-- Memberships as rows: adding one never reads or rewrites the others.
CREATE TABLE scim_members (
    tenant    TEXT NOT NULL,
    group_id  TEXT NOT NULL,
    member_id TEXT NOT NULL,
    display   TEXT,
    PRIMARY KEY (tenant, group_id, member_id),
    FOREIGN KEY (tenant, group_id) REFERENCES scim_resources (tenant, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant, member_id) REFERENCES scim_resources (tenant, id) ON DELETE CASCADE
) WITHOUT ROWID;
-- A user's groups, covering (no table read), so that a planner without
-- statistics prefers it to a walk of the tenant's memberships.
CREATE INDEX scim_members_member ON scim_members (tenant, member_id, group_id);

-- Every simple value of every resource, read for filtering and sorting:
-- `s` holds strings (folded in Rust unless caseExact), `n` numbers,
-- booleans (1/0) and dateTimes in whole seconds, `t` dateTime instants
-- (Unix nanoseconds, clamped to the i64 range). `kind`: 0 an
-- element of a multi-valued complex attribute (no value), 1 string,
-- 2 number, 3 boolean. `elem` is the element's index, `prim` whether that
-- element is the primary one.
CREATE TABLE scim_values (
    tenant        TEXT    NOT NULL,
    resource_type TEXT    NOT NULL,
    rid           INTEGER NOT NULL,
    path          TEXT    NOT NULL,
    elem          INTEGER NOT NULL,
    prim          INTEGER NOT NULL,
    kind          INTEGER NOT NULL,
    s             TEXT,
    n             REAL,
    t             INTEGER,
    FOREIGN KEY (tenant, rid) REFERENCES scim_resources (tenant, rid) ON DELETE CASCADE
);
CREATE INDEX scim_values_of ON scim_values (tenant, rid, path);
CREATE INDEX scim_values_s ON scim_values (tenant, resource_type, path, substr(s, 1, 200));
