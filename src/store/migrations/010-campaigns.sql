-- 010: campaigns (issue 12): targeted bulk re-provisioning, paced, pausable and restart-safe.
-- 001 created campaigns and campaign_targets without code behind them; this adds what the campaign
-- engine (src/campaigns/) keeps: the campaign document as given, why it stopped, and the indexes its
-- selector and feeder read through.

-- breaker-paused: the failure rate of the campaign's receipts crossed its breaker (state_reason says how).
ALTER TABLE campaigns DROP CONSTRAINT campaigns_state_check;
ALTER TABLE campaigns ADD CONSTRAINT campaigns_state_check
  CHECK (state IN ('draft', 'running', 'paused', 'breaker-paused', 'completed', 'cancelled'));
-- What is pushed: { kind: 'profile', profile, version } (the version fixed at creation) or an SI/SL push.
ALTER TABLE campaigns ADD COLUMN content jsonb NOT NULL DEFAULT '{}';
-- { tps } or { shareOfSmsc }; rate_per_second (001) holds the SMS per second it comes to.
ALTER TABLE campaigns ADD COLUMN pacing jsonb NOT NULL DEFAULT '{}';
-- Campaign hours { start, end } in each group's time zone, on top of its quiet hours; NULL: any time.
ALTER TABLE campaigns ADD COLUMN send_window jsonb;
-- { threshold, window }: pause when that share of the last `window` finished pushes failed.
ALTER TABLE campaigns ADD COLUMN breaker jsonb NOT NULL DEFAULT '{}';
-- The preview shown at creation (counts, segments, estimate), kept for the feeder's SMS-per-push figure.
ALTER TABLE campaigns ADD COLUMN preview jsonb NOT NULL DEFAULT '{}';
-- Why the campaign is in its state (the breaker's figures, a pause's reason).
ALTER TABLE campaigns ADD COLUMN state_reason jsonb;
CREATE INDEX campaigns_created_idx ON campaigns (created_at DESC, id DESC);

-- The subscriber's group when the targets were materialised: the feeder opens each group's campaign
-- hours in that group's time zone, and the list must not change under a running campaign.
ALTER TABLE campaign_targets ADD COLUMN group_name text;
-- The feeder takes pending targets of the groups whose hours are open, in a stable order.
CREATE INDEX campaign_targets_feed_idx ON campaign_targets (campaign_id, group_name, subscriber_id)
  WHERE state = 'pending';

-- Selector: an MSISDN prefix is a range scan (LIKE 'prefix%' needs the pattern operator class).
CREATE INDEX subscribers_msisdn_prefix_idx ON subscribers (msisdn text_pattern_ops);
-- Selector: a subscriber's last delivered push (profile versions, lastDeliveredBefore, never).
CREATE INDEX provisionings_delivered_idx ON provisionings (subscriber_id, finished_at DESC)
  WHERE state = 'delivered';
-- Breaker and rate: a campaign's pushes by when they finished or went out.
CREATE INDEX provisionings_campaign_finished_idx ON provisionings (campaign_id, finished_at DESC)
  WHERE campaign_id IS NOT NULL AND finished_at IS NOT NULL;
-- Feeder: how many of a campaign's pushes are still under way (in flight, or not final for completion).
CREATE INDEX provisionings_campaign_open_idx ON provisionings (campaign_id, state)
  WHERE campaign_id IS NOT NULL AND state NOT IN ('delivered', 'failed', 'expired', 'cancelled');
-- Status: the rate now (pushes that went out in the last seconds).
CREATE INDEX provisionings_campaign_submitted_idx ON provisionings (campaign_id, submitted_at)
  WHERE campaign_id IS NOT NULL AND submitted_at IS NOT NULL;
