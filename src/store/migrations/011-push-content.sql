-- Software download (issue 12): a provisioning may carry a Service Indication or Service Loading
-- (docs/protocol.md §8) instead of a profile. content holds what /v1/pushes (or a campaign) asked for,
-- { kind, href, text?, action?, siId?, created?, expires? }; content_kind is its kind, for reading
-- without opening the document. A provisioning with content has no profile version.
ALTER TABLE provisionings ADD COLUMN content jsonb;
ALTER TABLE provisionings ADD COLUMN content_kind text CHECK (content_kind IN ('si', 'sl'));
ALTER TABLE provisionings ADD CONSTRAINT provisionings_content_check
  CHECK ((content IS NULL) = (content_kind IS NULL) AND (content IS NULL OR profile_version_id IS NULL));
