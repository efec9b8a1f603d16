//! Pure acknowledgment rules: what a complete, valid acknowledgment form is.
use super::{AckForm, Attestation};
use crate::circulars::VersionId;
use crate::devices::DeviceId;
use crate::i18n::Problem;

#[derive(Debug, Clone, PartialEq)]
pub struct ValidAck {
    pub version_id: VersionId,
    pub content_sha256: String,
    pub devices: Vec<(DeviceId, Attestation)>,
}

/// Why a form cannot be accepted; `Foreign` is an authorization failure, the others are
/// input problems.
#[derive(Debug, Clone, PartialEq)]
pub enum AckProblem {
    Input(Vec<(&'static str, Problem)>),
    Foreign,
}

/// Checks the form against the person's active devices: each must carry an attestation and
/// no other device may appear.
pub fn parse_ack(form: &AckForm, own_devices: &[DeviceId]) -> Result<ValidAck, AckProblem> {
    let mut problems = vec![];
    let version_id = form
        .version_id
        .trim()
        .parse()
        .map(VersionId)
        .map_err(|_| problems.push(("version_id", Problem::Required)))
        .ok();
    let sha = form.content_sha256.trim().to_ascii_lowercase();
    if sha.len() != 64 || !sha.chars().all(|c| c.is_ascii_hexdigit()) {
        problems.push(("content_sha256", Problem::ContentChanged));
    }
    if !matches!(form.read_confirmed.as_str(), "on" | "true" | "1") {
        problems.push(("read_confirmed", Problem::ReadNotConfirmed));
    }
    let mut devices = vec![];
    for (key, value) in &form.attestations {
        let Ok(id) = key.trim().parse().map(DeviceId) else {
            return Err(AckProblem::Foreign);
        };
        // A device the person does not own, or one named twice (`1` and `01` are both
        // device 1): no form the page renders does that.
        if !own_devices.contains(&id) || devices.iter().any(|(d, _)| *d == id) {
            return Err(AckProblem::Foreign);
        }
        match Attestation::parse(value) {
            Some(a) => devices.push((id, a)),
            None => problems.push(("attestations", Problem::DeviceUnattested)),
        }
    }
    if own_devices
        .iter()
        .any(|d| !devices.iter().any(|(id, _)| id == d))
        && !problems.contains(&("attestations", Problem::DeviceUnattested))
    {
        problems.push(("attestations", Problem::DeviceUnattested));
    }
    match version_id {
        Some(version_id) if problems.is_empty() => Ok(ValidAck {
            version_id,
            content_sha256: sha,
            devices,
        }),
        _ => Err(AckProblem::Input(problems)),
    }
}

/// Splits a batch into rounds in which each person occurs at most once, keeping the order:
/// a person's first request goes into round one, their second into round two, and so on.
/// Returns the batch positions of each round.
pub fn rounds_of_distinct<K: PartialEq>(keys: impl IntoIterator<Item = K>) -> Vec<Vec<usize>> {
    let mut rounds: Vec<Vec<usize>> = Vec::new();
    let mut seen: Vec<(K, usize)> = Vec::new();
    for (n, key) in keys.into_iter().enumerate() {
        let round = match seen.iter_mut().find(|(k, _)| *k == key) {
            Some((_, count)) => {
                *count += 1;
                *count - 1
            }
            None => {
                seen.push((key, 1));
                0
            }
        };
        if rounds.len() <= round {
            rounds.push(Vec::new());
        }
        rounds[round].push(n);
    }
    rounds
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(atts: &[(&str, &str)]) -> AckForm {
        AckForm {
            version_id: "7".into(),
            content_sha256: "a".repeat(64),
            read_confirmed: "on".into(),
            attestations: atts
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn a_device_named_twice_is_refused() {
        let own = [DeviceId(1)];
        assert_eq!(
            parse_ack(
                &form(&[("1", "none_installed"), ("01", "none_installed")]),
                &own
            ),
            Err(AckProblem::Foreign)
        );
    }

    #[test]
    fn every_own_device_needs_an_attestation() {
        let own = [DeviceId(1), DeviceId(2)];
        assert_eq!(
            parse_ack(&form(&[("1", "none_installed")]), &own),
            Err(AckProblem::Input(vec![(
                "attestations",
                Problem::DeviceUnattested
            )]))
        );
        let ok = parse_ack(
            &form(&[("1", "none_installed"), ("2", "will_remove")]),
            &own,
        )
        .unwrap();
        assert_eq!(
            ok.devices,
            vec![
                (DeviceId(1), Attestation::NoneInstalled),
                (DeviceId(2), Attestation::WillRemove)
            ]
        );
    }

    #[test]
    fn someone_elses_device_is_refused() {
        assert_eq!(
            parse_ack(
                &form(&[("1", "none_installed"), ("99", "none_installed")]),
                &[DeviceId(1)]
            ),
            Err(AckProblem::Foreign)
        );
    }

    #[test]
    fn reading_must_be_confirmed() {
        let mut f = form(&[]);
        f.read_confirmed = String::new();
        assert_eq!(
            parse_ack(&f, &[]),
            Err(AckProblem::Input(vec![(
                "read_confirmed",
                Problem::ReadNotConfirmed
            )]))
        );
        assert!(
            parse_ack(&form(&[]), &[]).is_ok(),
            "people without devices acknowledge the text alone"
        );
    }

    #[test]
    fn a_batch_splits_into_rounds_of_distinct_people_in_order() {
        assert!(rounds_of_distinct(Vec::<i64>::new()).is_empty());
        assert_eq!(rounds_of_distinct([1, 2, 3]), vec![vec![0, 1, 2]]);
        assert_eq!(
            rounds_of_distinct([7, 8, 7, 9, 7, 8]),
            vec![vec![0, 1, 3], vec![2, 5], vec![4]]
        );
    }
}
