-- scim-sql schema, version 6 (SQLite): a connection's resources in
-- creation order (`rid` on SQLite), for the lists the service makes:
-- `owner = ? AND deleted = 0`, ordered by creation. See PostgreSQL's
-- migration 6.
CREATE INDEX scim_resources_owner ON scim_resources (tenant, resource_type, owner, rid);
