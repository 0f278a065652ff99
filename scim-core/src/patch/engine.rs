//! The engine that applies parsed operations to a copy of the attributes:
//! resolving each path against the schemas, then adding, replacing or
//! removing at the target.

use super::*;

pub(super) struct Engine<'a> {
    pub(super) rtype: &'a ResourceType,
    pub(super) strictness: Strictness,
}

/// Where an operation lands after its path is resolved.
struct Target<'a> {
    extension: Option<&'a Schema>,
    attr: &'a Attribute,
    sub: Option<&'a Attribute>,
}

impl<'a> Engine<'a> {
    pub(super) fn operation(
        &self,
        doc: &mut Map<String, Value>,
        op: &PatchOperation,
    ) -> Result<()> {
        match &op.path {
            None => {
                let value = op.value.as_ref().unwrap_or(&Value::Null);
                self.value_map(doc, op.op, value)
            }
            Some(PatchPath::Attr(path)) => {
                if let Some(ext) = self.whole_extension(path) {
                    return self.extension_op(doc, ext, op.op, op.value.as_ref());
                }
                let Some(target) = self.resolve(path, false)? else {
                    return Ok(());
                };
                self.attr_op(doc, &target, op.op, op.value.as_ref())
            }
            Some(PatchPath::Value {
                value_path,
                sub_attr,
            }) => self.filtered_op(
                doc,
                value_path,
                sub_attr.as_deref(),
                op.op,
                op.value.as_ref(),
            ),
        }
    }

    /// A path like `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`,
    /// which the grammar reads as URI `...:2.0` and attribute `User`, naming
    /// a whole extension.
    fn whole_extension(&self, path: &AttrPath) -> Option<&'a Schema> {
        let uri = path.uri.as_deref()?;
        if path.sub_attr.is_some() {
            return None;
        }
        self.rtype
            .extensions()
            .iter()
            .find(|e| {
                let id = &e.schema.id;
                id.len() == uri.len() + 1 + path.name.len()
                    && id[..uri.len()].eq_ignore_ascii_case(uri)
                    && id[uri.len() + 1..].eq_ignore_ascii_case(&path.name)
            })
            .map(|e| &*e.schema)
    }

    /// Resolves a path; `None` means "unknown attribute, ignored". In a
    /// value map (`lenient_read_only`), read-only attributes are skipped
    /// silently (Okta sends the group's `id` there); on an explicit path
    /// they are a `mutability` error.
    fn resolve(&self, path: &AttrPath, lenient_read_only: bool) -> Result<Option<Target<'a>>> {
        let Some(r) = self.rtype.resolve(path) else {
            // `userName.foo`: a simple attribute has no sub-attributes, so
            // the path can never name anything (not an unknown attribute
            // a lenient server may ignore).
            if let Some(sub) = path.sub_attr.as_deref()
                && let Some(parent) =
                    self.rtype
                        .resolve_parts(path.uri.as_deref(), &path.name, None)
                && parent.attr.kind != AttributeType::Complex
            {
                return Err(Error::new(
                    ErrorKind::InvalidPath,
                    format!(
                        "invalid path \"{path}\": {} is a simple attribute, it has no sub-attribute {sub:?}",
                        parent.attr.name
                    ),
                ));
            }
            if self.strictness.reject_unknown_attributes {
                return Err(Error::new(
                    ErrorKind::InvalidPath,
                    format!("no attribute {path} in the {} schemas", self.rtype.id()),
                ));
            }
            return Ok(None);
        };
        if r.common && !r.attr.is("externalId")
            || r.attr.mutability == Mutability::ReadOnly
            || r.sub.is_some_and(|s| s.mutability == Mutability::ReadOnly)
        {
            if lenient_read_only {
                return Ok(None);
            }
            return Err(Error::mutability(format!("{path} is read-only")));
        }
        Ok(Some(Target {
            extension: r.extension,
            attr: r.attr,
            sub: r.sub,
        }))
    }

    /// add/replace with no path: each key of the value map is a path.
    fn value_map(&self, doc: &mut Map<String, Value>, op: PatchOp, value: &Value) -> Result<()> {
        let Some(map) = value.as_object() else {
            return Err(Error::invalid_value(
                "without a path, the value must be an object of attributes",
            ));
        };
        for (key, v) in map {
            if key.eq_ignore_ascii_case("schemas") {
                continue;
            }
            if let Some(ext) = self.rtype.extension_schema(key) {
                self.extension_op(doc, &ext.schema, op, Some(v))?;
                continue;
            }
            let path = match scim_filter::parse_attr_path(key) {
                Ok(p) => p,
                Err(e) if self.strictness.reject_unknown_attributes => {
                    return Err(Error::invalid_path(&e));
                }
                Err(_) => continue,
            };
            if let Some(ext) = self.whole_extension(&path) {
                self.extension_op(doc, ext, op, Some(v))?;
                continue;
            }
            if let Some(target) = self.resolve(&path, true)? {
                self.attr_op(doc, &target, op, Some(v))?;
            }
        }
        Ok(())
    }

    /// An operation on a whole extension: add/replace merge its attributes,
    /// remove drops the extension.
    fn extension_op(
        &self,
        doc: &mut Map<String, Value>,
        ext: &'a Schema,
        op: PatchOp,
        value: Option<&Value>,
    ) -> Result<()> {
        if op == PatchOp::Remove {
            doc.remove(&ext.id);
            return Ok(());
        }
        match value {
            Some(Value::Null) => {
                if op == PatchOp::Replace {
                    doc.remove(&ext.id);
                }
                Ok(())
            }
            Some(Value::Object(fields)) => {
                for (name, v) in fields {
                    match ext.attribute_named(name) {
                        Some(attr) if attr.mutability == Mutability::ReadOnly => {}
                        Some(attr) => {
                            let target = Target {
                                extension: Some(ext),
                                attr,
                                sub: None,
                            };
                            self.attr_op(doc, &target, op, Some(v))?;
                        }
                        None if self.strictness.reject_unknown_attributes => {
                            return Err(Error::new(
                                ErrorKind::InvalidPath,
                                format!("no attribute {name:?} in {}", ext.id),
                            ));
                        }
                        None => {}
                    }
                }
                Ok(())
            }
            _ => Err(Error::invalid_value(format!(
                "the value for {} must be an object of its attributes",
                ext.id
            ))),
        }
    }

    /// An operation on `attr` or `attr.sub` (no filter).
    fn attr_op(
        &self,
        doc: &mut Map<String, Value>,
        target: &Target<'a>,
        op: PatchOp,
        value: Option<&Value>,
    ) -> Result<()> {
        let attr = target.attr;
        let container = match target.extension {
            Some(ext) => {
                if op == PatchOp::Remove && !doc.contains_key(&ext.id) {
                    return Ok(());
                }
                object_at(doc, &ext.id)
            }
            None => &mut *doc,
        };
        let result = match target.sub {
            None => self.whole_attr(container, attr, op, value),
            Some(sub) => self.sub_attr(container, attr, sub, op, value),
        };
        if let Some(ext) = target.extension
            && doc.get(&ext.id).is_some_and(is_empty)
        {
            doc.remove(&ext.id);
        }
        result
    }

    fn whole_attr(
        &self,
        container: &mut Map<String, Value>,
        attr: &Attribute,
        op: PatchOp,
        value: Option<&Value>,
    ) -> Result<()> {
        let name = &attr.name;
        let current = container.get(name);
        if op == PatchOp::Remove {
            if attr.multi_valued
                && let Some(value) = value.filter(|v| !v.is_null())
            {
                return self.remove_values(container, attr, value);
            }
            if attr.mutability == Mutability::Immutable && current.is_some() {
                return Err(Error::mutability(format!("{name} is immutable")));
            }
            container.remove(name);
            return Ok(());
        }
        let value = value.unwrap_or(&Value::Null);
        let normalized = normalize_value(attr, value.clone(), name, self.strictness)?;
        if attr.mutability == Mutability::Immutable
            && let Some(current) = current
            && normalized.as_ref() != Some(current)
            && !(attr.multi_valued && op == PatchOp::Add)
        {
            return Err(Error::mutability(format!(
                "{name} is immutable and already has a value"
            )));
        }
        let Some(new) = normalized else {
            // add of nothing changes nothing; replace with null/"" clears.
            if op == PatchOp::Replace {
                container.remove(name);
            }
            return Ok(());
        };
        match (attr.multi_valued, attr.kind, op) {
            (true, _, PatchOp::Add) => {
                let Value::Array(new_items) = new else {
                    unreachable!("BUG: a multi-valued value normalizes to an array")
                };
                let slot = container
                    .entry(name.clone())
                    .or_insert_with(|| Value::Array(Vec::new()));
                if !slot.is_array() {
                    *slot = Value::Array(Vec::new());
                }
                let items = slot.as_array_mut().expect("BUG: made an array above");
                // The values not there yet are appended; the last new
                // primary one stays primary.
                let from = items.len();
                items.extend(new_items);
                dedup_after(items, from);
                let is_primary = |v: &Value| v.get("primary") == Some(&Value::Bool(true));
                if let Some(last) = items[from..].iter().rposition(is_primary) {
                    keep_one_primary(items, from + last);
                }
            }
            (false, AttributeType::Complex, _) => {
                // Sub-attributes given replace theirs; the others stay
                // (RFC 7644 §3.5.2.1 and §3.5.2.3).
                let Value::Object(new_fields) = new else {
                    unreachable!("BUG: a complex value normalizes to an object")
                };
                let slot = object_at(container, name);
                for (k, v) in new_fields {
                    slot.insert(k, v);
                }
            }
            _ => {
                container.insert(name.clone(), new);
            }
        }
        Ok(())
    }

    /// remove with a value list: just those values (by `value` for complex
    /// attributes that have one, else by equality).
    fn remove_values(
        &self,
        container: &mut Map<String, Value>,
        attr: &Attribute,
        value: &Value,
    ) -> Result<()> {
        let Some(doomed) = normalize_value(
            attr,
            value.clone(),
            &attr.name,
            Strictness::default().enforce_canonical(false),
        )?
        else {
            return Ok(());
        };
        let doomed = doomed.as_array().cloned().unwrap_or_default();
        let Some(Value::Array(items)) = container.get_mut(&attr.name) else {
            return Ok(());
        };
        let keyed = attr.kind == AttributeType::Complex && attr.sub_attribute("value").is_some();
        let fold = attr
            .sub_attribute("value")
            .is_some_and(Attribute::ignores_case);
        // Looked up in a set, not compared pairwise: both lists may hold
        // tens of thousands of values. A folded string is its lower case.
        let folded = |v: &Value| match v {
            Value::String(s) if fold && s.bytes().any(|b| b.is_ascii_uppercase()) => {
                Some(Value::String(s.to_ascii_lowercase()))
            }
            _ => None,
        };
        let doomed_keys: Vec<Value> = doomed
            .iter()
            .filter_map(|d| if keyed { d.get("value") } else { Some(d) })
            .map(|v| folded(v).unwrap_or_else(|| v.clone()))
            .collect();
        let set: std::collections::HashSet<ValueKey<'_>, foldhash::fast::RandomState> =
            doomed_keys.iter().map(ValueKey).collect();
        items.retain(|item| {
            let key = if keyed { item.get("value") } else { Some(item) };
            key.is_none_or(|k| match folded(k) {
                Some(f) => !set.contains(&ValueKey(&f)),
                None => !set.contains(&ValueKey(k)),
            })
        });
        if items.is_empty() {
            container.remove(&attr.name);
        }
        Ok(())
    }

    /// An operation on `attr.sub`: of the single complex value, or of every
    /// element of a multi-valued one.
    fn sub_attr(
        &self,
        container: &mut Map<String, Value>,
        attr: &Attribute,
        sub: &Attribute,
        op: PatchOp,
        value: Option<&Value>,
    ) -> Result<()> {
        let path = format!("{}.{}", attr.name, sub.name);
        let new = match op {
            PatchOp::Remove => None,
            _ => normalize_value(
                sub,
                value.cloned().unwrap_or(Value::Null),
                &path,
                self.strictness,
            )?,
        };
        if attr.multi_valued {
            let items = match container.get_mut(&attr.name) {
                Some(Value::Array(items)) => items,
                _ if new.is_none() => return Ok(()),
                _ => {
                    let mut element = Map::new();
                    element.insert(sub.name.clone(), new.unwrap_or(Value::Null));
                    container.insert(
                        attr.name.clone(),
                        Value::Array(vec![Value::Object(element)]),
                    );
                    return Ok(());
                }
            };
            for item in items.iter_mut() {
                set_field(item, sub, new.clone(), op)?;
            }
            items.retain(|i| !is_empty(i));
            if items.is_empty() {
                container.remove(&attr.name);
            }
            return Ok(());
        }
        if new.is_none() && !container.contains_key(&attr.name) {
            return Ok(());
        }
        let slot = container
            .entry(attr.name.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        set_field(slot, sub, new, op)?;
        if is_empty(slot) {
            container.remove(&attr.name);
        }
        Ok(())
    }

    /// An operation on `attr[filter]` or `attr[filter].sub`.
    fn filtered_op(
        &self,
        doc: &mut Map<String, Value>,
        value_path: &ValuePath,
        sub_name: Option<&str>,
        op: PatchOp,
        value: Option<&Value>,
    ) -> Result<()> {
        let Some(target) = self.resolve(&value_path.attr, false)? else {
            return Ok(());
        };
        let attr = target.attr;
        if !attr.multi_valued || attr.kind != AttributeType::Complex || target.sub.is_some() {
            return Err(Error::new(
                ErrorKind::InvalidPath,
                format!(
                    "{} is not a multi-valued complex attribute; it cannot take a [filter]",
                    value_path.attr
                ),
            ));
        }
        let sub = match sub_name {
            Some(name) => match attr.sub_attribute(name) {
                Some(sub) if sub.mutability == Mutability::ReadOnly => {
                    return Err(Error::mutability(format!(
                        "{}.{} is read-only",
                        attr.name, sub.name
                    )));
                }
                Some(sub) => Some(sub),
                None if self.strictness.reject_unknown_attributes => {
                    return Err(Error::new(
                        ErrorKind::InvalidPath,
                        format!("{} has no sub-attribute {name:?}", attr.name),
                    ));
                }
                None => return Ok(()),
            },
            None => None,
        };
        let container = match target.extension {
            Some(ext) => object_at(doc, &ext.id),
            None => &mut *doc,
        };
        let result = self.filtered_in(container, attr, &value_path.filter, sub, op, value);
        if let Some(ext) = target.extension
            && doc.get(&ext.id).is_some_and(is_empty)
        {
            doc.remove(&ext.id);
        }
        result
    }

    fn filtered_in(
        &self,
        container: &mut Map<String, Value>,
        attr: &Attribute,
        filter: &Filter,
        sub: Option<&Attribute>,
        op: PatchOp,
        value: Option<&Value>,
    ) -> Result<()> {
        let mut items = match container.remove(&attr.name) {
            Some(Value::Array(items)) => items,
            Some(other) => vec![other],
            None => Vec::new(),
        };
        let outcome = self.filtered_items(&mut items, attr, filter, sub, op, value);
        items.retain(|i| !is_empty(i));
        if !items.is_empty() {
            container.insert(attr.name.clone(), Value::Array(items));
        }
        outcome
    }

    fn filtered_items(
        &self,
        items: &mut Vec<Value>,
        attr: &Attribute,
        filter: &Filter,
        sub: Option<&Attribute>,
        op: PatchOp,
        value: Option<&Value>,
    ) -> Result<()> {
        let mut hits = Vec::new();
        for (i, item) in items.iter().enumerate() {
            if element_matches(attr, item, filter)? {
                hits.push(i);
            }
        }
        if op == PatchOp::Remove {
            // Removing what is not there is a no-op.
            match sub {
                Some(sub) => {
                    for &i in &hits {
                        set_field(&mut items[i], sub, None, op)?;
                    }
                }
                None => {
                    for &i in hits.iter().rev() {
                        items.remove(i);
                    }
                }
            }
            return Ok(());
        }
        let value = value.unwrap_or(&Value::Null);
        let new_sub = match sub {
            Some(sub) => Some(normalize_value(
                sub,
                value.clone(),
                &format!("{}.{}", attr.name, sub.name),
                self.strictness,
            )?),
            None => None,
        };
        let new_element = match sub {
            Some(_) => None,
            None => normalize_single(attr, value.clone(), &attr.name, self.strictness)?,
        };
        if hits.is_empty() {
            // Upsert: build the element the filter describes.
            let Some(mut element) = element_from_filter(attr, filter, self.strictness)? else {
                return Err(Error::new(
                    ErrorKind::NoTarget,
                    format!(
                        "no {} value matches the filter, and the filter does not describe one to create (use eq on sub-attributes)",
                        attr.name
                    ),
                ));
            };
            match (sub, new_sub, new_element) {
                (Some(sub), Some(Some(v)), _) => {
                    element.insert(sub.name.clone(), v);
                }
                (None, _, Some(Value::Object(fields))) => element.extend(fields),
                _ => return Ok(()), // nothing to set
            }
            items.push(Value::Object(element));
            let last = items.len() - 1;
            keep_one_primary(items, last);
            return Ok(());
        }
        for &i in &hits {
            match (sub, &new_sub, &new_element) {
                (Some(sub), Some(v), _) => set_field(&mut items[i], sub, v.clone(), op)?,
                (None, _, Some(Value::Object(fields))) => {
                    let item = &mut items[i];
                    if op == PatchOp::Replace {
                        // The element becomes the value, keeping what the
                        // filter pins (its type).
                        let mut element =
                            element_from_filter(attr, filter, self.strictness)?.unwrap_or_default();
                        element.extend(fields.clone());
                        *item = Value::Object(element);
                    } else if let Some(obj) = item.as_object_mut() {
                        obj.extend(fields.clone());
                    }
                }
                (None, _, _) if op == PatchOp::Replace => items[i] = Value::Null,
                _ => {}
            }
        }
        if let Some(&winner) = hits.last() {
            keep_one_primary(items, winner);
        }
        // Several elements the filter matched may now be equal (`replace`
        // of `emails[value co "x"]` with one value): a multi-valued
        // attribute holds each value once (RFC 7643 §2.4), as validation
        // makes it, so the first of equal elements stays.
        if hits.len() > 1 {
            dedup_after(items, 0);
        }
        Ok(())
    }
}

/// Sets (or, with `None`, removes) one field of a complex value.
fn set_field(item: &mut Value, sub: &Attribute, value: Option<Value>, op: PatchOp) -> Result<()> {
    let Some(obj) = item.as_object_mut() else {
        return Ok(());
    };
    if sub.mutability == Mutability::Immutable
        && let Some(current) = obj.get(&sub.name)
        && value.as_ref() != Some(current)
    {
        return Err(Error::mutability(format!("{} is immutable", sub.name)));
    }
    match value {
        Some(v) if op != PatchOp::Remove => {
            obj.insert(sub.name.clone(), v);
        }
        _ => {
            obj.remove(&sub.name);
        }
    }
    Ok(())
}

/// The element a filter of `eq` terms joined by `and` describes
/// (`type eq "work"` gives `{"type": "work"}`); `Ok(None)` for other
/// filters. The values are validated like any input (a `type` outside the
/// canonical values is refused when those are enforced).
fn element_from_filter(
    attr: &Attribute,
    filter: &Filter<'_>,
    strictness: Strictness,
) -> Result<Option<Map<String, Value>>> {
    let mut element = Map::new();
    let terms = match filter {
        Filter::And(terms) => terms.as_slice(),
        single => std::slice::from_ref(single),
    };
    for term in terms {
        let Filter::Compare {
            path,
            op: CompareOp::Eq,
            value,
        } = term
        else {
            return Ok(None);
        };
        if path.uri.is_some() || path.sub_attr.is_some() {
            return Ok(None);
        }
        let Some(sub) = attr.sub_attribute(&path.name) else {
            return Ok(None);
        };
        let json = match value {
            CompValue::String(s) => Value::String(s.to_string()),
            CompValue::Bool(b) => Value::Bool(*b),
            CompValue::Number(n) => match serde_json::from_str(n.as_str()) {
                Ok(v) => v,
                Err(_) => return Ok(None),
            },
            CompValue::Null => return Ok(None),
        };
        let path = format!("{}.{}", attr.name, sub.name);
        match normalize_value(sub, json, &path, strictness)? {
            Some(v) => {
                element.insert(sub.name.clone(), v);
            }
            None => return Ok(None),
        }
    }
    Ok(Some(element))
}
