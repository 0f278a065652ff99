//! Members as relations: a PATCH or PUT touching a group's `members` is
//! turned into [`MemberChange`]s for the store, so that adding or removing
//! one member never reads or rewrites the others.

use scim_filter::{CompValue, CompareOp, Filter, PatchPath};
use serde_json::{Map, Value};

use super::ScimService;
use crate::error::{Error, Result};
use crate::eval::element_matches;
use crate::patch::{PatchOp, PatchOperation};
use crate::render;
use crate::resource::{GroupRef, Member};
use crate::schema::{Attribute, ResourceType};
use crate::store::{Context, MemberChange};
use crate::validate::{Strictness, normalize_value};

/// A member operation of a PATCH.
#[derive(Debug)]
pub(crate) enum MemberOp {
    Change(MemberChange),
    /// `remove members[<filter>]` with a filter other than `value eq`: the
    /// members are read and the filter evaluated on each.
    RemoveWhere(Filter<'static>),
}

impl MemberOp {
    /// How many members the operation names (a removal by filter or of
    /// all names none).
    pub(crate) fn count(&self) -> usize {
        match self {
            Self::Change(MemberChange::Add(members)) => members.len(),
            Self::Change(MemberChange::Remove(ids)) => ids.len(),
            Self::Change(MemberChange::RemoveAll) | Self::RemoveWhere(_) => 0,
        }
    }
}

/// A PATCH split into member operations and everything else.
#[derive(Debug, Default)]
pub(crate) struct Split {
    pub(crate) members: Vec<MemberOp>,
    pub(crate) others: Vec<PatchOperation>,
}

fn members_attr(rtype: &ResourceType) -> Option<&Attribute> {
    rtype.schema().attribute_named(rtype.members_attribute()?)
}

/// Removes the members attribute from validated attributes and reads it.
pub(crate) fn take_members(
    rtype: &ResourceType,
    attrs: &mut Map<String, Value>,
) -> Result<Vec<Member>> {
    let Some(attr) = members_attr(rtype) else {
        return Ok(Vec::new());
    };
    match attrs.remove(&attr.name) {
        Some(Value::Array(items)) => items.iter().map(|v| to_member(attr, v)).collect(),
        _ => Ok(Vec::new()),
    }
}

fn to_member(attr: &Attribute, v: &Value) -> Result<Member> {
    let value = v.get("value").and_then(Value::as_str).ok_or_else(|| {
        Error::invalid_value(format!(
            "each of {} needs a \"value\": the member's id",
            attr.name
        ))
    })?;
    Ok(Member {
        value: value.to_owned(),
        kind: v.get("type").and_then(Value::as_str).map(str::to_owned),
        display: v.get("display").and_then(Value::as_str).map(str::to_owned),
    })
}

fn members_from(
    attr: &Attribute,
    value: Option<&Value>,
    strictness: Strictness,
) -> Result<Vec<Member>> {
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    match normalize_value(attr, value.clone(), &attr.name, strictness)? {
        Some(Value::Array(items)) => items.iter().map(|v| to_member(attr, v)).collect(),
        _ => Ok(Vec::new()),
    }
}

/// `value eq "a"`, or `value eq "a" or value eq "b"`: the ids named.
fn value_ids(filter: &Filter) -> Option<Vec<String>> {
    let terms = match filter {
        Filter::Or(terms) => terms.as_slice(),
        single => std::slice::from_ref(single),
    };
    terms
        .iter()
        .map(|t| match t {
            Filter::Compare {
                path,
                op: CompareOp::Eq,
                value: CompValue::String(id),
            } if path.uri.is_none() && path.sub_attr.is_none() && path.is("value") => {
                Some(id.to_string())
            }
            _ => None,
        })
        .collect()
}

fn immutable(attr: &Attribute) -> Error {
    Error::mutability(format!(
        "the elements of {} cannot be changed; add or remove members instead",
        attr.name
    ))
}

/// Splits PATCH operations into member operations and the rest.
pub(crate) fn split(
    rtype: &ResourceType,
    operations: Vec<PatchOperation>,
    strictness: Strictness,
) -> Result<Split> {
    let Some(attr) = members_attr(rtype) else {
        return Ok(Split {
            members: Vec::new(),
            others: operations,
        });
    };
    let is_members = |path: &scim_filter::AttrPath| {
        rtype
            .resolve(path)
            .is_some_and(|r| r.extension.is_none() && std::ptr::eq(r.attr, attr))
    };
    let mut split = Split::default();
    for op in operations {
        let (changes, rest) = match &op.path {
            None => {
                let Some(Value::Object(map)) = &op.value else {
                    split.others.push(op);
                    continue;
                };
                let key = map.keys().find(|k| {
                    scim_filter::parse_attr_path(k)
                        .is_ok_and(|p| p.sub_attr.is_none() && is_members(&p))
                });
                let Some(key) = key.cloned() else {
                    split.others.push(op);
                    continue;
                };
                let mut rest = map.clone();
                let value = rest.remove(&key);
                let members = members_from(attr, value.as_ref(), strictness)?;
                let changes = whole(op.op, members, value.as_ref())?;
                let rest = (!rest.is_empty()).then_some(PatchOperation {
                    op: op.op,
                    path: None,
                    value: Some(Value::Object(rest)),
                });
                (changes, rest)
            }
            Some(PatchPath::Attr(path)) if is_members(&without_sub(path)) => {
                if path.sub_attr.is_some() {
                    return Err(immutable(attr));
                }
                let members = members_from(attr, op.value.as_ref(), strictness)?;
                (whole(op.op, members, op.value.as_ref())?, None)
            }
            Some(PatchPath::Value {
                value_path,
                sub_attr,
            }) if is_members(&value_path.attr) => {
                if sub_attr.is_some() || op.op != PatchOp::Remove {
                    return Err(immutable(attr));
                }
                let change = match value_ids(&value_path.filter) {
                    Some(ids) => MemberOp::Change(MemberChange::Remove(ids)),
                    None => MemberOp::RemoveWhere((*value_path.filter).clone()),
                };
                (vec![change], None)
            }
            _ => {
                split.others.push(op);
                continue;
            }
        };
        split.members.extend(changes);
        split.others.extend(rest);
    }
    Ok(split)
}

fn without_sub<'a>(path: &scim_filter::AttrPath<'a>) -> scim_filter::AttrPath<'a> {
    scim_filter::AttrPath {
        sub_attr: None,
        ..path.clone()
    }
}

/// add/replace/remove on the whole members attribute.
fn whole(op: PatchOp, members: Vec<Member>, value: Option<&Value>) -> Result<Vec<MemberOp>> {
    Ok(match op {
        PatchOp::Add if members.is_empty() => Vec::new(),
        PatchOp::Add => vec![MemberOp::Change(MemberChange::Add(members))],
        PatchOp::Replace => {
            let mut v = vec![MemberOp::Change(MemberChange::RemoveAll)];
            if !members.is_empty() {
                v.push(MemberOp::Change(MemberChange::Add(members)));
            }
            v
        }
        PatchOp::Remove if value.is_some_and(|v| !v.is_null()) => vec![MemberOp::Change(
            MemberChange::Remove(members.into_iter().map(|m| m.value).collect()),
        )],
        PatchOp::Remove => vec![MemberOp::Change(MemberChange::RemoveAll)],
    })
}

impl ScimService {
    /// Turns member operations into store changes, reading the members only
    /// for filters other than `value eq`.
    pub(crate) async fn resolve_member_changes(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        id: &str,
        ops: &[MemberOp],
    ) -> Result<Vec<MemberChange>> {
        let mut out = Vec::new();
        let mut current: Option<Vec<Member>> = None;
        for op in ops {
            match op {
                MemberOp::Change(c) => out.push(c.clone()),
                MemberOp::RemoveWhere(filter) => {
                    let Some(attr) = members_attr(rtype) else {
                        continue;
                    };
                    if current.is_none() {
                        current = Some(self.dyn_store().members(ctx, rtype, id).await?);
                    }
                    let mut ids = Vec::new();
                    for m in current.iter().flatten() {
                        let json = member_json(self, &self.base(ctx), m);
                        if element_matches(attr, &json, filter)? {
                            ids.push(m.value.clone());
                        }
                    }
                    if !ids.is_empty() {
                        out.push(MemberChange::Remove(ids));
                    }
                }
            }
        }
        Ok(out)
    }
}

fn member_json(service: &ScimService, base: &str, m: &Member) -> Value {
    let mut v = Map::new();
    v.insert("value".to_owned(), Value::String(m.value.clone()));
    if let Some(kind) = &m.kind {
        if let Some(rt) = service.rtype_by_id(kind) {
            v.insert(
                "$ref".to_owned(),
                Value::String(render::location(base, rt, &m.value)),
            );
        }
        v.insert("type".to_owned(), Value::String(kind.clone()));
    }
    if let Some(d) = &m.display {
        v.insert("display".to_owned(), Value::String(d.clone()));
    }
    Value::Object(v)
}

/// A group's `members` as JSON.
pub(crate) fn render_members(service: &ScimService, base: &str, members: &[Member]) -> Value {
    Value::Array(
        members
            .iter()
            .map(|m| member_json(service, base, m))
            .collect(),
    )
}

/// A user's `groups` as JSON.
pub(crate) fn render_groups(service: &ScimService, base: &str, groups: &[GroupRef]) -> Value {
    Value::Array(
        groups
            .iter()
            .map(|g| {
                let mut v = Map::new();
                v.insert("value".to_owned(), Value::String(g.value.clone()));
                if let Some(rt) = service.rtype_by_id(&g.kind) {
                    v.insert(
                        "$ref".to_owned(),
                        Value::String(render::location(base, rt, &g.value)),
                    );
                }
                if let Some(d) = &g.display {
                    v.insert("display".to_owned(), Value::String(d.clone()));
                }
                v.insert("type".to_owned(), Value::String("direct".to_owned()));
                Value::Object(v)
            })
            .collect(),
    )
}
