-- Whether an enrolment code gives an existing kiosk a new device (a replacement: the old device's password stops
-- working) or makes a new kiosk: set when the code is made (its chosen kiosk id names a kiosk of the organisation
-- then), and set again when it is used (what its use did). Lists read this stored fact: once a code for a new
-- kiosk id is used, that kiosk exists, and its existence no longer tells what the code was for.
ALTER TABLE enrolment_codes ADD COLUMN replaces boolean NOT NULL DEFAULT false;

-- Codes made before this column: a replacement when their kiosk was there before the code was made.
UPDATE enrolment_codes c SET replaces = true
FROM kiosks k
WHERE k.id = c.kiosk_id AND k.org_id = c.org_id AND k.created_at < c.created_at;
