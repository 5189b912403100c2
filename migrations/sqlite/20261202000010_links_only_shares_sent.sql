-- A share is sent once its links exist, whichever button made them. Shares
-- whose links were generated before that rule (and never emailed) were
-- still drafts, missing from the Shares page: they are sent as of their
-- first link.
UPDATE shares
SET sent_at_ms = (SELECT MIN(links.created_at_ms)
                  FROM links JOIN recipients ON recipients.id = links.recipient_id
                  WHERE recipients.share_id = shares.id)
WHERE sent_at_ms IS NULL
  AND EXISTS (SELECT 1 FROM links JOIN recipients ON recipients.id = links.recipient_id
              WHERE recipients.share_id = shares.id);
