-- +goose Up
-- The plans of STRIPE_PLANS, rewritten from the configuration at start:
-- rank orders them (RequirePlan("pro") admits pro and every higher rank).
CREATE TABLE billing_plans (
    name     TEXT    PRIMARY KEY,
    price_id TEXT    NOT NULL DEFAULT '', -- '' for the plan of users without a subscription
    rank     INTEGER NOT NULL
);

-- The Stripe customer of a user, created before their first checkout.
CREATE TABLE billing_customers (
    user_id     BIGINT  PRIMARY KEY REFERENCES users (id),
    customer_id TEXT    NOT NULL UNIQUE,
    created_at  BIGINT  NOT NULL -- Unix seconds
);

-- Subscriptions as the webhooks last told: event_created is the creation
-- time of the newest event applied, so an older one never overwrites it.
CREATE TABLE billing_subscriptions (
    subscription_id       TEXT    PRIMARY KEY,
    user_id               BIGINT  NOT NULL,
    customer_id           TEXT    NOT NULL,
    plan                  TEXT    NOT NULL,
    price_id              TEXT    NOT NULL,
    status                TEXT    NOT NULL,
    current_period_end    BIGINT  NOT NULL DEFAULT 0, -- Unix seconds, 0: unknown
    cancel_at_period_end  BOOLEAN NOT NULL DEFAULT FALSE,
    payment_status        TEXT    NOT NULL DEFAULT '', -- '', paid or failed: the last invoice
    event_created         BIGINT  NOT NULL,
    invoice_event_created BIGINT  NOT NULL DEFAULT 0,
    updated_at            BIGINT  NOT NULL
);
CREATE INDEX billing_subscriptions_user ON billing_subscriptions (user_id);

-- Webhook events already applied, inserted in the transaction of their
-- effects; rows older than a week are purged.
CREATE TABLE billing_webhook_events (
    event_id     TEXT    PRIMARY KEY,
    type         TEXT    NOT NULL,
    processed_at BIGINT  NOT NULL
);
CREATE INDEX billing_webhook_events_processed ON billing_webhook_events (processed_at);

-- Usage recorded with the work it measures, reported to Stripe's meter
-- events by the usage reporter under its own identifier.
CREATE TABLE billing_usage_events (
    id          BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    identifier  TEXT    NOT NULL UNIQUE,
    user_id     BIGINT  NOT NULL,
    meter       TEXT    NOT NULL,
    quantity    BIGINT  NOT NULL CHECK (quantity > 0),
    created_at  BIGINT  NOT NULL, -- Unix seconds
    reported_at BIGINT ,          -- NULL until Stripe accepted it
    error       TEXT    NOT NULL DEFAULT '' -- why Stripe refused it for good
);
CREATE INDEX billing_usage_unreported ON billing_usage_events (reported_at, id);
CREATE INDEX billing_usage_user ON billing_usage_events (user_id, created_at);

-- +goose Down
DROP TABLE billing_usage_events;
DROP TABLE billing_webhook_events;
DROP TABLE billing_subscriptions;
DROP TABLE billing_customers;
DROP TABLE billing_plans;
