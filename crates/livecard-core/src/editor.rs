//! The card editor's two operations, for every shell: save a whole card as the editor holds
//! it (every refused field reported at once, nothing saved then), and check one value as it
//! is typed.

use livecard_format::fields::{Slot, FIELDS};
use livecard_format::{Card, CardError, Field, FieldError, Region};

use crate::error::{CoreError, Result};
use crate::model::{Edit, EditOp, EditValue, OwnCard};
use crate::{apply_edits, Core};

impl Core {
    /// Creates (if none) or replaces the own card `own_id` (or the default) with `wanted` as
    /// the editor holds it. Each changed field is checked on its own first, so every refused
    /// value is reported at once (kind `invalid_input`, one [`FieldError`] per field); then
    /// nothing is saved.
    pub async fn save_own(&self, own_id: Option<&str>, wanted: &Card) -> Result<OwnCard> {
        let current = match self.own_card(own_id).await {
            Ok(c) => c.card,
            Err(CoreError::NoOwnCard) if own_id.is_none() => Card::default(),
            Err(e) => return Err(e),
        };
        let groups = edits_from(&current, wanted);
        let mut errors: Vec<FieldError> = Vec::new();
        for group in &groups {
            let mut scratch = current.clone();
            match apply_edits(&mut scratch, group, self.region()) {
                Ok(()) => {}
                Err(CoreError::InvalidField(fe)) => errors.push(fe),
                Err(other) => return Err(other),
            }
        }
        if !errors.is_empty() {
            return Err(CoreError::InvalidCard(CardError { errors }));
        }
        let edits: Vec<Edit> = groups.into_iter().flatten().collect();
        self.edit_own(own_id, &edits).await
    }
}

/// The edits that turn `current` into `wanted`, one group per changed field, for every field
/// of the table (`livecard_format::fields`) but the name's parts. Addresses arrive structured; unchanged ones are
/// left alone so their parts survive, changed ones are entered as lines.
pub fn edits_from(current: &Card, wanted: &Card) -> Vec<Vec<Edit>> {
    let mut groups = Vec::new();
    for spec in FIELDS.iter() {
        let field = spec.field;
        // Family and given name come from the name (the core splits it); the editor does
        // not edit them (it blanks them when the name changes).
        if matches!(field, Field::Family | Field::Given) {
            continue;
        }
        match spec.slot {
            Slot::Text(..) | Slot::Extra => {
                let (want, have) = (wanted.text(field), current.text(field));
                if want != have {
                    groups.push(vec![Edit::set(field, want.unwrap_or(""))]);
                }
            }
            Slot::List(..) => {
                let (want, have) = (wanted.list(field), current.list(field));
                if want != have {
                    let values = want.map(|v| v.as_slice()).unwrap_or_default();
                    groups.push(list_edits(field, values.iter().map(String::as_str)));
                }
            }
            Slot::Time => {
                if wanted.temp_until != current.temp_until {
                    let v = wanted
                        .temp_until
                        .map(|t| t.to_rfc3339())
                        .unwrap_or_default();
                    groups.push(vec![Edit::set(field, v)]);
                }
            }
            Slot::Avatar => {
                if wanted.avatar != current.avatar {
                    groups.push(vec![match &wanted.avatar {
                        Some(a) => Edit {
                            op: EditOp::Set,
                            field,
                            value: EditValue::Image(a.data.clone()),
                        },
                        None => Edit::set(field, ""),
                    }]);
                }
            }
            Slot::Address => {
                if wanted.address != current.address {
                    let lines: Vec<String> = wanted.address.iter().map(|a| a.to_line()).collect();
                    groups.push(list_edits(field, lines.iter().map(String::as_str)));
                }
            }
        }
    }
    groups
}

fn list_edits<'a>(field: Field, values: impl Iterator<Item = &'a str>) -> Vec<Edit> {
    let values: Vec<&str> = values.filter(|v| !v.trim().is_empty()).collect();
    let mut out = vec![Edit::set(field, values.first().copied().unwrap_or(""))];
    out.extend(values.iter().skip(1).map(|v| Edit::add(field, *v)));
    out
}

/// Checks one value as the editor's user types it: the normalised value on success (a phone
/// number in E.164, a website with its scheme), the field's error otherwise.
pub fn check_field(field: &str, value: &str, region: Region) -> Result<String> {
    let f: Field = field.parse().map_err(CoreError::InvalidField)?;
    if f == Field::Avatar {
        return Err(CoreError::InvalidInput(
            "the avatar is set from an image file".into(),
        ));
    }
    let mut card = Card::default();
    card.set(f, value, region)?;
    if f == Field::Address {
        return Ok(card
            .address
            .first()
            .map(|a| a.to_line())
            .unwrap_or_default());
    }
    let json = serde_json::to_value(&card)
        .map_err(|e| CoreError::InvalidInput(format!("cannot show the value: {e}")))?;
    Ok(match &json[f.as_str()] {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(a) => match a.first() {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
            None => String::new(),
        },
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unchanged_structured_addresses_are_not_rewritten() {
        let current = Card {
            address: vec![livecard_format::Address {
                street: "1 Main St".into(),
                locality: "Springfield".into(),
                ..Default::default()
            }],
            ..Default::default()
        };
        let mut wanted = current.clone();
        wanted.title = "CEO".into();
        let groups = edits_from(&current, &wanted);
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0][0].field, Field::Title);
    }
}
