-- Issue 15, second half: improvement actions. What was changed at a service point (or for a service), from
-- which local day on, by which role (never a person's name), and what it was expected to do. Its effect is
-- computed when asked (collector/insight/effect.py), from the rollups: nothing here goes stale.
CREATE TABLE improvement_actions (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id            slug NOT NULL REFERENCES organisations ON DELETE CASCADE,
    service_point_id  slug REFERENCES service_points ON DELETE CASCADE,
    service_id        text,
    taken_on          date NOT NULL,          -- local day from which the change is in place
    role              text NOT NULL CHECK (length(role) BETWEEN 1 AND 80),
    description       text NOT NULL CHECK (length(description) BETWEEN 1 AND 2000),
    expected_effect   text NOT NULL DEFAULT '' CHECK (length(expected_effect) <= 500),
    window_days       integer NOT NULL DEFAULT 28 CHECK (window_days BETWEEN 7 AND 91 AND window_days % 7 = 0),
    recorded_at       timestamptz NOT NULL DEFAULT now(),
    CHECK (service_point_id IS NOT NULL OR service_id IS NOT NULL),
    FOREIGN KEY (org_id, service_id) REFERENCES services (org_id, id) ON DELETE CASCADE
);
CREATE INDEX improvement_actions_org ON improvement_actions (org_id, taken_on);
CREATE INDEX improvement_actions_point ON improvement_actions (service_point_id, taken_on);
