-- Retention: after a circular's retention period the acknowledgments of its versions are
-- pseudonymised. The chain stays verifiable because it covers only commitments to the person
-- and to the devices, which are kept.
ALTER TABLE circular ADD COLUMN retention_days INTEGER NOT NULL DEFAULT 3650;  -- counted from each version's publication
ALTER TABLE acknowledgment ADD COLUMN pseudonymised_at TEXT;
-- Canonical device statements ([commitment, attestation] pairs) kept when the links to the
-- device rows are removed on pseudonymisation.
ALTER TABLE acknowledgment ADD COLUMN pseudonymised_devices TEXT;
