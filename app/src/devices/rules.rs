//! Pure device rules: the device form, identifier formats, the IMEI check digit, and what
//! owners may change or retire on devices an MDM or an admin manages.
use super::{DeviceForm, DeviceId, DeviceKind, Ownership, Platform};
use crate::i18n::Problem;
use crate::org::rules::Problems;

pub const LABEL_MAX: usize = 80;
pub const IDENT_MAX: usize = 64;

/// Luhn check over a string of digits (IMEIs carry a Luhn check digit).
pub fn luhn_valid(digits: &str) -> bool {
    let mut sum = 0;
    for (i, c) in digits.chars().rev().enumerate() {
        let Some(mut d) = c.to_digit(10) else {
            return false;
        };
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    !digits.is_empty() && sum % 10 == 0
}

/// The Luhn check digit that completes `digits` (used to generate demo IMEIs).
pub fn luhn_check_digit(digits: &str) -> char {
    (0..10)
        .map(|d| char::from(b'0' + d))
        .find(|c| luhn_valid(&format!("{digits}{c}")))
        .unwrap_or('0')
}

/// Optional IMEI: 15 digits (spaces and dashes are ignored) with a valid check digit.
pub fn parse_imei(raw: &str) -> Result<Option<String>, Problem> {
    let digits: String = raw
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    if digits.is_empty() {
        return Ok(None);
    }
    if digits.len() != 15 || !digits.chars().all(|c| c.is_ascii_digit()) || !luhn_valid(&digits) {
        return Err(Problem::InvalidImei);
    }
    Ok(Some(digits))
}

/// Optional identifier (asset tag, serial, MDM id): letters, digits and `._:-`.
pub fn parse_ident(raw: &str) -> Result<Option<String>, Problem> {
    let s = raw.trim();
    if s.is_empty() {
        Ok(None)
    } else if s.chars().count() > IDENT_MAX {
        Err(Problem::TooLong(IDENT_MAX))
    } else if !s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-'))
    {
        Err(Problem::InvalidIdentifier)
    } else {
        Ok(Some(s.to_owned()))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ValidDevice {
    pub id: Option<DeviceId>,
    pub kind: DeviceKind,
    pub ownership: Ownership,
    pub platform: Platform,
    pub label: String,
    pub asset_tag: Option<String>,
    pub serial: Option<String>,
    pub imei: Option<String>,
    pub mdm_id: Option<String>,
}

pub fn parse_device(form: &DeviceForm) -> Result<ValidDevice, Problems> {
    let mut problems = Problems::new();
    let kind = DeviceKind::parse(&form.kind)
        .ok_or(Problem::Required)
        .map_err(|p| problems.push(("kind", p)))
        .ok();
    let ownership = Ownership::parse(&form.ownership)
        .ok_or(Problem::Required)
        .map_err(|p| problems.push(("ownership", p)))
        .ok();
    let platform = Platform::parse(&form.platform)
        .ok_or_else(|| Problem::UnknownPlatform(form.platform.trim().chars().take(40).collect()))
        .map_err(|p| problems.push(("platform", p)))
        .ok();
    let label = form.label.split_whitespace().collect::<Vec<_>>().join(" ");
    if label.is_empty() {
        problems.push(("label", Problem::Required));
    } else if label.chars().count() > LABEL_MAX {
        problems.push(("label", Problem::TooLong(LABEL_MAX)));
    }
    let asset_tag = parse_ident(&form.asset_tag)
        .map_err(|p| problems.push(("asset_tag", p)))
        .ok()
        .flatten();
    let serial = parse_ident(&form.serial)
        .map_err(|p| problems.push(("serial", p)))
        .ok()
        .flatten();
    let imei = parse_imei(&form.imei)
        .map_err(|p| problems.push(("imei", p)))
        .ok()
        .flatten();
    let mdm_id = parse_ident(&form.mdm_id)
        .map_err(|p| problems.push(("mdm_id", p)))
        .ok()
        .flatten();
    let id = match form.id.trim() {
        "" => None,
        s => match s.parse() {
            Ok(n) => Some(DeviceId(n)),
            Err(_) => {
                problems.push(("id", Problem::Required));
                None
            }
        },
    };
    match (kind, ownership, platform, problems.is_empty()) {
        (Some(kind), Some(ownership), Some(platform), true) => Ok(ValidDevice {
            id,
            kind,
            ownership,
            platform,
            label,
            asset_tag,
            serial,
            imei,
            mdm_id,
        }),
        _ => Err(problems),
    }
}

/// The identity of a stored device: what an MDM or the asset register vouches for.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredIdentity {
    /// Imported or auto-registered by an admin/MDM, or reported by an MDM at least once.
    pub managed: bool,
    pub kind: DeviceKind,
    pub ownership: Ownership,
    pub platform: Platform,
    pub serial: Option<String>,
    pub imei: Option<String>,
    pub mdm_id: Option<String>,
}

/// An owner may change the identifiers and platform of their device only while no MDM or
/// admin import manages it; otherwise clearing or rewriting them would let the owner shake
/// off the device's standing. Names every field the owner tried to change.
pub fn owner_may_change(stored: &StoredIdentity, new: &ValidDevice) -> Result<(), Problems> {
    // Kind and ownership count too: turning a blocked service phone "private" would take it
    // out of the compliance overview.
    let changed = changed_identity(stored, new);
    if !stored.managed || changed.is_empty() {
        return Ok(());
    }
    Err(changed
        .into_iter()
        .map(|f| (f, Problem::ManagedIdentifier))
        .collect())
}

/// The identity fields in which `new` differs from the stored device (for the rule above
/// and the audit entry of every edit).
pub fn changed_identity(stored: &StoredIdentity, new: &ValidDevice) -> Vec<&'static str> {
    [
        ("kind", stored.kind != new.kind),
        ("ownership", stored.ownership != new.ownership),
        ("platform", stored.platform != new.platform),
        ("serial", stored.serial != new.serial),
        ("imei", stored.imei != new.imei),
        ("mdm_id", stored.mdm_id != new.mdm_id),
    ]
    .into_iter()
    .filter_map(|(field, differs)| differs.then_some(field))
    .collect()
}

/// An owner may not retire a device while it is warned or blocked: retiring would hide it
/// from the compliance view while its phone may still carry the app.
pub fn owner_may_retire(restricted: bool) -> Result<(), Problem> {
    if restricted {
        Err(Problem::RetireWhileRestricted)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> ValidDevice {
        ValidDevice {
            id: Some(DeviceId(1)),
            kind: DeviceKind::Phone,
            ownership: Ownership::Service,
            platform: Platform::Android,
            label: "Diensthandy".into(),
            asset_tag: None,
            serial: Some("SN1".into()),
            imei: None,
            mdm_id: Some("MDM-1".into()),
        }
    }

    #[test]
    fn owners_cannot_rewrite_the_identity_of_a_managed_device() {
        let stored = StoredIdentity {
            managed: true,
            kind: DeviceKind::Phone,
            ownership: Ownership::Service,
            platform: Platform::Android,
            serial: Some("SN1".into()),
            imei: None,
            mdm_id: Some("MDM-1".into()),
        };
        // The label and kind stay the owner's to change.
        let relabelled = ValidDevice {
            label: "Mein Handy".into(),
            ..valid()
        };
        assert!(owner_may_change(&stored, &relabelled).is_ok());
        let cleared = ValidDevice {
            mdm_id: None,
            platform: Platform::Ios,
            ownership: Ownership::Private,
            ..valid()
        };
        let fields: Vec<_> = owner_may_change(&stored, &cleared)
            .unwrap_err()
            .into_iter()
            .map(|(f, _)| f)
            .collect();
        assert_eq!(fields, vec!["ownership", "platform", "mdm_id"]);
        let unmanaged = StoredIdentity {
            managed: false,
            ..stored
        };
        assert!(owner_may_change(&unmanaged, &cleared).is_ok());
        assert_eq!(owner_may_retire(true), Err(Problem::RetireWhileRestricted));
        assert!(owner_may_retire(false).is_ok());
    }

    #[test]
    fn imeis_need_fifteen_digits_and_a_valid_check_digit() {
        assert_eq!(
            parse_imei("490154203237518"),
            Ok(Some("490154203237518".into()))
        );
        assert_eq!(
            parse_imei("49-015420-323751-8"),
            Ok(Some("490154203237518".into()))
        );
        assert_eq!(parse_imei("490154203237517"), Err(Problem::InvalidImei));
        assert_eq!(parse_imei("12345"), Err(Problem::InvalidImei));
        assert_eq!(parse_imei(""), Ok(None));
        assert_eq!(luhn_check_digit("49015420323751"), '8');
    }

    #[test]
    fn device_form_reports_each_bad_field() {
        let form = DeviceForm {
            kind: "toaster".into(),
            ownership: "service".into(),
            platform: "palmos".into(),
            label: "".into(),
            mdm_id: "bad id!".into(),
            ..Default::default()
        };
        let fields: Vec<_> = parse_device(&form)
            .unwrap_err()
            .into_iter()
            .map(|(f, _)| f)
            .collect();
        assert_eq!(fields, vec!["kind", "platform", "label", "mdm_id"]);
    }
}
