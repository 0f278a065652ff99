-- scim-sql schema, version 4 (PostgreSQL): memberships by member id as
-- filters compare it. A group's `members.value` is not caseExact (RFC 7643),
-- so `members[value eq "x"]` compares `lower(member_id)` (ASCII, under
-- "C"), which neither the primary key nor `scim_members_member` can
-- search: Entra's and Okta's membership checks read every membership of
-- the group (with `id eq`) or of the tenant (without). With this index both
-- are searches: by (tenant, member) to find the groups, and by (tenant,
-- member, group) to check one. `member_id` is included so that the check
-- reads the index alone: without it the planner preferred reading all of
-- the group's memberships from the primary key (index only, the folded
-- test as a filter), which costs the size of the group.
CREATE INDEX scim_members_member_folded
    ON scim_members (tenant, lower(member_id COLLATE "C"), group_id) INCLUDE (member_id);
