//! Generators: resources with the awkward strings (case variants whose
//! folding changes length, `%` `_` `\`, empty strings), numbers, instants
//! (with offsets, nanoseconds, beyond 2262, unparsable), and filters over
//! all of it as text.

use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Map, Value, json};

use super::harness::{ENTERPRISE_URN, Item, Membership, TEST_URN, World, groups, users};

/// Strings stored in attributes.
pub(super) const WORDS: &[&str] = &[
    "alice",
    "Alice",
    "ALICE",
    "bob",
    "Bob@X.com",
    "bob@x.com",
    "İstanbul",
    "istanbul",
    "i\u{307}stanbul",
    "straße",
    "STRASSE",
    "strasse",
    "Ärger",
    "ärger",
    "",
    "a%b",
    "a_b",
    "a\\b",
    "%",
    "_",
    "\\",
    "ΣΑΣ",
    "σας",
    "x'y",
    "zed",
    "\u{212a}elvin",
    "kelvin",
    "work",
    "Work",
    "home",
];

/// Titlecase letters: not upper-case, yet `to_lowercase` changes them.
/// `eval::fold_case` folds them in filters and sort keys alike.
pub(super) const TITLECASE: &[&str] = &["ǅemal", "ǆemal", "ǄEMAL"];

/// Fragments for literals.
const FRAGMENTS: &[&str] = &[
    "a", "A", "%", "_", "\\", "i", "İ", "ß", "ss", "ä", "Ä", "", "b", "σ", "ς", "e", "k", "x.com",
    "@", "ǅ", "ǆ",
];

pub(super) const TIMES: &[&str] = &[
    "2020-01-01T00:00:00Z",
    "2020-01-01T00:00:00.000000001Z",
    "2020-01-01T01:00:00+01:00",
    "2020-01-01T00:00:00",
    "2020-01-01T00:00:00.5Z",
    "1969-12-31T23:59:59.999Z",
    "9999-12-31T23:59:59Z",
    "9999-12-31T23:59:58.5Z",
    "3000-01-01T00:00:00Z",
    "1600-01-01T00:00:00Z",
    "yesterday",
    "",
];

const NUMBERS: &[&str] = &["-1", "0", "1", "1.5", "2", "1e20", "-0.0", "3"];

fn word(titlecase: bool) -> BoxedStrategy<String> {
    let mut pool: Vec<&'static str> = WORDS.to_vec();
    if titlecase {
        pool.extend(TITLECASE);
    }
    prop_oneof![
        4 => select(pool).prop_map(str::to_owned),
        1 => "[a-cA-C%_\\\\ßİ]{0,4}",
    ]
    .boxed()
}

fn opt<T: std::fmt::Debug + Clone + 'static>(
    s: impl Strategy<Value = T> + 'static,
) -> BoxedStrategy<Option<T>> {
    prop_oneof![1 => Just(None), 2 => s.prop_map(Some)].boxed()
}

fn number() -> BoxedStrategy<Value> {
    select(NUMBERS)
        .prop_map(|n| serde_json::from_str(n).expect("a JSON number"))
        .boxed()
}

fn put(map: &mut Map<String, Value>, key: &str, v: Option<Value>) {
    if let Some(v) = v {
        map.insert(key.to_owned(), v);
    }
}

/// A user's attributes.
pub(super) fn user_attrs(titlecase: bool) -> BoxedStrategy<Map<String, Value>> {
    let w = move || word(titlecase);
    let email = (
        opt(w()),
        opt(select(&["work", "home", "Work", ""][..])),
        opt(any::<bool>()),
    )
        .prop_map(|(value, kind, primary)| {
            let mut m = Map::new();
            put(&mut m, "value", value.map(Value::from));
            put(&mut m, "type", kind.map(Value::from));
            put(&mut m, "primary", primary.map(Value::from));
            Value::Object(m)
        });
    let badge = (
        opt(w()),
        opt(number()),
        opt(select(TIMES)),
        opt(w()),
        opt(any::<bool>()),
    )
        .prop_map(|(value, rank, since, kind, primary)| {
            let mut m = Map::new();
            put(&mut m, "value", value.map(Value::from));
            put(&mut m, "rank", rank);
            put(&mut m, "since", since.map(Value::from));
            put(&mut m, "kind", kind.map(Value::from));
            put(&mut m, "primary", primary.map(Value::from));
            Value::Object(m)
        });
    let core = (
        opt(w()),
        opt((opt(w()), opt(w()))),
        opt(w()),
        opt(w()),
        opt(any::<bool>()),
        opt(w()),
        proptest::collection::vec(email, 0..4),
    );
    let test = (
        opt(number()),
        opt(number()),
        opt(select(TIMES)),
        opt(any::<bool>()),
        proptest::collection::vec(w(), 0..3),
        opt(w()),
        proptest::collection::vec(badge, 0..3),
    );
    let enterprise = (opt(w()), opt((opt(w()), opt(w()))));
    (core, test, enterprise)
        .prop_map(|(core, test, enterprise)| {
            let (user_name, name, display, title, active, external, emails) = core;
            let mut m = Map::new();
            put(&mut m, "userName", user_name.map(Value::from));
            if let Some((given, family)) = name {
                let mut n = Map::new();
                put(&mut n, "givenName", given.map(Value::from));
                put(&mut n, "familyName", family.map(Value::from));
                m.insert("name".to_owned(), Value::Object(n));
            }
            put(&mut m, "displayName", display.map(Value::from));
            put(&mut m, "title", title.map(Value::from));
            put(&mut m, "active", active.map(Value::from));
            put(&mut m, "externalId", external.map(Value::from));
            if !emails.is_empty() {
                m.insert("emails".to_owned(), Value::Array(emails));
            }
            let (level, score, hired, flag, tags, code, badges) = test;
            let mut t = Map::new();
            put(&mut t, "level", level);
            put(&mut t, "score", score);
            put(&mut t, "hired", hired.map(Value::from));
            put(&mut t, "flag", flag.map(Value::from));
            if !tags.is_empty() {
                t.insert("tags".to_owned(), json!(tags));
            }
            put(&mut t, "code", code.map(Value::from));
            if !badges.is_empty() {
                t.insert("badges".to_owned(), Value::Array(badges));
            }
            if !t.is_empty() {
                m.insert(TEST_URN.to_owned(), Value::Object(t));
            }
            let (number, manager) = enterprise;
            let mut e = Map::new();
            put(&mut e, "employeeNumber", number.map(Value::from));
            if let Some((value, display)) = manager {
                let mut mg = Map::new();
                put(&mut mg, "value", value.map(Value::from));
                put(&mut mg, "displayName", display.map(Value::from));
                e.insert("manager".to_owned(), Value::Object(mg));
            }
            if !e.is_empty() {
                m.insert(ENTERPRISE_URN.to_owned(), Value::Object(e));
            }
            m
        })
        .boxed()
}

/// Creation times: around 2020, some before 1970, with sub-millisecond
/// nanoseconds.
fn created() -> BoxedStrategy<i64> {
    prop_oneof![
        Just(1_577_836_800_000_000_000_i64),
        Just(1_577_836_800_000_000_001_i64),
        Just(1_577_836_800_000_999_999_i64),
        Just(1_577_836_800_001_000_000_i64),
        Just(-1_000_000_i64),
        Just(-1_i64),
        1_500_000_000_000_000_000_i64..1_600_000_000_000_000_000_i64,
    ]
    .boxed()
}

/// A world of users (ids `u0`, `U1`, ...) and groups (`g0`, ...) with
/// memberships.
pub(super) fn world(titlecase: bool) -> BoxedStrategy<World> {
    world_of(titlecase, 1..8, 0..4)
}

/// [`world`] with `users` users and `groups` groups (and up to 2.5
/// memberships a group).
pub(super) fn world_of(
    titlecase: bool,
    user_count: std::ops::Range<usize>,
    group_count: std::ops::Range<usize>,
) -> BoxedStrategy<World> {
    let user = (user_attrs(titlecase), created(), 0_i64..2_000_000);
    let group = (opt(word(titlecase)), opt(word(titlecase)), created());
    let picks = user_count.end + group_count.end;
    let memberships = group_count.end * 5 / 2;
    let group_picks = group_count.end.max(1);
    (
        proptest::collection::vec(user, user_count),
        proptest::collection::vec(group, group_count),
        proptest::collection::vec(
            (0_usize..picks, 0_usize..group_picks, opt(word(titlecase))),
            0..memberships.max(1),
        ),
    )
        .prop_map(|(us, gs, ms)| {
            let mut world = World::default();
            for (i, (attrs, created, later)) in us.into_iter().enumerate() {
                world.items.push(Item {
                    rtype: users(),
                    id: if i % 3 == 1 {
                        format!("U{i}")
                    } else {
                        format!("u{i}")
                    },
                    attrs,
                    created,
                    modified: created.saturating_add(later),
                });
            }
            let user_count = world.items.len();
            for (i, (display, external, created)) in gs.into_iter().enumerate() {
                let mut attrs = Map::new();
                put(&mut attrs, "displayName", display.map(Value::from));
                put(&mut attrs, "externalId", external.map(Value::from));
                world.items.push(Item {
                    rtype: groups(),
                    id: format!("g{i}"),
                    attrs,
                    created,
                    modified: created,
                });
            }
            let group_count = world.items.len() - user_count;
            if group_count > 0 {
                let mut seen = std::collections::HashSet::new();
                for (m, g, display) in ms {
                    let group = &world.items[user_count + g % group_count].id;
                    let member = &world.items[m % world.items.len()].id;
                    if group != member && seen.insert((group.clone(), member.clone())) {
                        let row: Membership = (group.clone(), member.clone(), display);
                        world.members.push(row);
                    }
                }
            }
            world
        })
        .boxed()
}

/// How a path compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ty {
    Str,
    Num,
    Bool,
    Date,
}

const USER_PATHS: &[(&str, Ty)] = &[
    ("userName", Ty::Str),
    ("displayName", Ty::Str),
    ("title", Ty::Str),
    ("name.givenName", Ty::Str),
    ("name.familyName", Ty::Str),
    ("emails", Ty::Str),
    ("emails.value", Ty::Str),
    ("emails.type", Ty::Str),
    ("emails.primary", Ty::Bool),
    ("active", Ty::Bool),
    ("externalId", Ty::Str),
    ("id", Ty::Str),
    ("employeeNumber", Ty::Str),
    (
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
        Ty::Str,
    ),
    ("manager.displayName", Ty::Str),
    ("manager", Ty::Str),
    ("level", Ty::Num),
    ("score", Ty::Num),
    ("hired", Ty::Date),
    ("flag", Ty::Bool),
    ("tags", Ty::Str),
    ("code", Ty::Str),
    ("badges", Ty::Str),
    ("badges.rank", Ty::Num),
    ("badges.since", Ty::Date),
    ("badges.kind", Ty::Str),
    ("meta.created", Ty::Date),
    ("meta.lastModified", Ty::Date),
    ("meta.resourceType", Ty::Str),
    ("meta.location", Ty::Str),
    ("groups.value", Ty::Str),
    ("groups.display", Ty::Str),
    ("groups.type", Ty::Str),
    ("groups", Ty::Str),
];

const GROUP_PATHS: &[(&str, Ty)] = &[
    ("displayName", Ty::Str),
    ("externalId", Ty::Str),
    ("id", Ty::Str),
    ("members", Ty::Str),
    ("members.value", Ty::Str),
    ("members.type", Ty::Str),
    ("members.display", Ty::Str),
    ("meta.created", Ty::Date),
];

/// Element-relative paths of the value-path attributes.
const ELEMENTS: &[(&str, &[(&str, Ty)])] = &[
    (
        "emails",
        &[
            ("value", Ty::Str),
            ("type", Ty::Str),
            ("primary", Ty::Bool),
            ("display", Ty::Str),
        ],
    ),
    (
        "badges",
        &[
            ("value", Ty::Str),
            ("rank", Ty::Num),
            ("since", Ty::Date),
            ("kind", Ty::Str),
            ("primary", Ty::Bool),
        ],
    ),
    ("name", &[("givenName", Ty::Str), ("familyName", Ty::Str)]),
    ("manager", &[("value", Ty::Str), ("displayName", Ty::Str)]),
    (
        "groups",
        &[("value", Ty::Str), ("display", Ty::Str), ("type", Ty::Str)],
    ),
];

const GROUP_ELEMENTS: &[(&str, &[(&str, Ty)])] = &[(
    "members",
    &[("value", Ty::Str), ("type", Ty::Str), ("display", Ty::Str)],
)];

fn quote(s: &str) -> String {
    serde_json::to_string(s).expect("a string")
}

fn literal(ty: Ty, ids: Vec<String>) -> BoxedStrategy<String> {
    match ty {
        Ty::Str => prop_oneof![
            3 => select(WORDS).prop_map(quote),
            2 => select(FRAGMENTS).prop_map(quote),
            1 => select(TITLECASE).prop_map(quote),
            1 => select(ids).prop_map(|s| quote(&s)),
            1 => select(&["user", "USER", "group", "direct"][..]).prop_map(quote),
            1 => select(&["7", "true"][..]).prop_map(str::to_owned),
        ]
        .boxed(),
        Ty::Num => prop_oneof![
            3 => select(NUMBERS).prop_map(str::to_owned),
            1 => select(&["\"2\"", "\" 1.5 \"", "\"NaN\"", "\"inf\"", "1e400"][..])
                .prop_map(str::to_owned),
        ]
        .boxed(),
        Ty::Bool => select(&["true", "false", "\"TRUE\"", "\"false\""][..])
            .prop_map(str::to_owned)
            .boxed(),
        Ty::Date => prop_oneof![
            3 => select(TIMES).prop_map(quote),
            1 => select(&[
                "2020-01-01T00:00:00.000Z",
                "2020-01-01T00:00:00.0000005Z",
                "2019-12-31T23:59:59.999999999Z",
                "1969-12-31T23:59:59.9999995Z",
                "1970-01-01T00:00:00Z",
                "2262-04-11T23:47:16.854775807Z",
                "1677-09-21T00:12:43.145224192Z",
            ][..])
            .prop_map(quote),
        ]
        .boxed(),
    }
}

fn comparison(path: String, ty: Ty, ids: Vec<String>) -> BoxedStrategy<String> {
    let ops: &'static [&'static str] = match ty {
        Ty::Str => &["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"],
        Ty::Num => &["eq", "ne", "gt", "ge", "lt", "le"],
        Ty::Bool => &["eq", "ne"],
        Ty::Date => &["eq", "ne", "gt", "ge", "lt", "le", "co", "sw", "ew"],
    };
    let p2 = path.clone();
    let p3 = path.clone();
    prop_oneof![
        6 => (select(ops), any::<bool>(), literal(ty, ids.clone())).prop_map(move |(op, text, lit)| {
            // A substring test of a dateTime compares text.
            let lit = if ty == Ty::Date && matches!(op, "co" | "sw" | "ew") && text {
                let t = lit.trim_matches('"');
                quote(&t[..t.len().min(5)])
            } else {
                lit
            };
            format!("{path} {op} {lit}")
        }),
        1 => Just(format!("{p2} pr")),
        1 => select(&["eq", "ne"][..]).prop_map(move |op| format!("{p3} {op} null")),
    ]
    .boxed()
}

fn leaf(
    paths: &'static [(&'static str, Ty)],
    elements: &'static [(&'static str, &'static [(&'static str, Ty)])],
    ids: Vec<String>,
) -> BoxedStrategy<String> {
    let ids2 = ids.clone();
    let simple = select(paths)
        .prop_flat_map(move |(p, ty)| comparison(p.to_owned(), ty, ids.clone()))
        .boxed();
    let value_path = select(elements)
        .prop_flat_map(move |(attr, subs)| {
            let ids = ids2.clone();
            let inner = select(subs)
                .prop_flat_map(move |(p, ty)| comparison(p.to_owned(), ty, ids.clone()))
                .boxed();
            let inner = inner.prop_recursive(2, 4, 2, |inner| {
                prop_oneof![
                    (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} and {b}")),
                    (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} or {b})")),
                    inner.prop_map(|a| format!("not ({a})")),
                ]
            });
            (Just(attr), inner, any::<bool>()).prop_map(|(attr, inner, entra)| {
                // Entra's form `emails[type eq "work"].value eq "x"` when
                // the inner filter is one comparison of `value`.
                if entra && inner.starts_with("value eq ") {
                    format!("{attr}[type eq \"work\"].{inner}")
                } else {
                    format!("{attr}[{inner}]")
                }
            })
        })
        .boxed();
    prop_oneof![3 => simple, 1 => value_path].boxed()
}

/// A filter's text over the paths of `users` (or `groups`).
pub(super) fn filter(for_groups: bool, ids: Vec<String>) -> BoxedStrategy<String> {
    let lookup = lookup(for_groups, ids.clone());
    let leaf = if for_groups {
        leaf(GROUP_PATHS, GROUP_ELEMENTS, ids)
    } else {
        leaf(USER_PATHS, ELEMENTS, ids)
    };
    let general = leaf.prop_recursive(3, 8, 3, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 2..4).prop_map(|t| t.join(" and ")),
            proptest::collection::vec(inner.clone(), 2..4)
                .prop_map(|t| format!("({})", t.join(" or "))),
            inner.prop_map(|a| format!("not ({a})")),
        ]
    });
    // Filters PostgreSQL starts from their lookups (`Condition::source`):
    // one ANDed with anything, lookups ORed, and one alone (Entra's).
    prop_oneof![
        6 => general.clone(),
        1 => lookup.clone(),
        2 => (lookup.clone(), general.clone(), any::<bool>()).prop_map(|(l, f, first)| {
            if first {
                format!("{l} and ({f})")
            } else {
                format!("({f}) and {l}")
            }
        }),
        1 => (proptest::collection::vec(lookup, 2..4), general)
            .prop_map(|(ls, f)| format!("({}) and not ({f})", ls.join(" or "))),
    ]
    .boxed()
}

/// A term the store answers as an index lookup: a string `eq` on value
/// rows, `id eq`, a value path with a string `eq` inside, Entra's
/// `emails[type eq "work"].value eq`.
fn lookup(for_groups: bool, ids: Vec<String>) -> BoxedStrategy<String> {
    let paths: &'static [&'static str] = if for_groups {
        &["displayName", "externalId", "id"]
    } else {
        &[
            "userName",
            "displayName",
            "title",
            "name.givenName",
            "emails.value",
            "emails.type",
            "externalId",
            "id",
            "tags",
            "badges.kind",
        ]
    };
    let ids2 = ids.clone();
    let ids3 = ids.clone();
    let simple = (select(paths), literal(Ty::Str, ids))
        .prop_map(|(p, v)| format!("{p} eq {v}"))
        .boxed();
    let kinds = select(&["work", "home", "Work", "alice"][..]).prop_map(quote);
    let words = select(WORDS).prop_map(quote);
    let elements = (
        kinds,
        words.clone(),
        words,
        select(ids2).prop_map(|s| quote(&s)),
    )
        .prop_map(|(t, v, k, id)| {
            vec![
                format!("emails[type eq {t}].value eq {v}"),
                format!("emails[value eq {v} and type eq {t}]"),
                format!("badges[kind eq {k}]"),
                format!("emails[value eq {id}]"),
            ]
        })
        .prop_flat_map(select);
    if for_groups {
        // A group with a member, as Entra and Okta check one; the id in
        // another case too (`members.value` is not caseExact).
        let members = (select(ids3), any::<bool>(), any::<bool>())
            .prop_map(|(id, upper, dotted)| {
                let id = if upper { id.to_uppercase() } else { id };
                if dotted {
                    format!("members.value eq {}", quote(&id))
                } else {
                    format!("members[value eq {}]", quote(&id))
                }
            })
            .boxed();
        prop_oneof![2 => simple, 1 => members].boxed()
    } else {
        prop_oneof![2 => simple, 1 => elements].boxed()
    }
}

/// Sort paths.
pub(super) const USER_SORTS: &[&str] = &[
    "userName",
    "displayName",
    "name.givenName",
    "name",
    "emails",
    "emails.value",
    "emails.type",
    "emails.primary",
    "active",
    "externalId",
    "id",
    "level",
    "score",
    "hired",
    "flag",
    "tags",
    "code",
    "badges",
    "badges.rank",
    "badges.since",
    "badges.primary",
    "manager.value",
    "manager",
    "employeeNumber",
    "meta.created",
    "meta.lastModified",
    "meta.resourceType",
    "meta.location",
    "meta",
    "groups.value",
    "groups",
    "userName.foo",
    "emails.nope",
    "nothing",
];

pub(super) const GROUP_SORTS: &[&str] = &["displayName", "members.value", "members", "id"];

pub(super) fn ids(world: &World) -> Vec<String> {
    let mut ids: Vec<String> = world.items.iter().map(|i| i.id.clone()).collect();
    ids.push("nobody".to_owned());
    ids
}

#[allow(dead_code, reason = "kept for ad-hoc debugging of a case")]
pub(super) fn describe(world: &World) -> String {
    world
        .items
        .iter()
        .map(|i| format!("{} {}", i.id, Value::Object(i.attrs.clone())))
        .collect::<Vec<_>>()
        .join("\n")
        + &format!("\nmembers {:?}", world.members)
}
