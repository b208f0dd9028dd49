-- An ingest key may be bound to one service point (a phone line, a web form): it may then send ratings of
-- that service point only. Such a key is bound to the service point's organisation too.
ALTER TABLE api_keys ADD COLUMN service_point_id slug REFERENCES service_points ON DELETE CASCADE;
ALTER TABLE api_keys ADD CONSTRAINT api_keys_service_point_is_ingest
    CHECK (service_point_id IS NULL OR (role = 'ingest' AND org_id IS NOT NULL));
