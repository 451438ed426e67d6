-- ceiling-db for the schema BEFORE migration 0004_booking_core (e.g. commit 095372a): no
-- appointments.booked_starts_at, no payments.payer_id, idempotency_keys with state / lease_token /
-- response_type. Otherwise identical to bench/ceiling-db.sql (read the notes there). Select it with
--   BENCH_CEILING_DB_SQL=bench/ceiling-db-0003.sql npm run bench
WITH
pair AS (
  SELECT patient_id, slot_id FROM bench_pairs WHERE n = (SELECT nextval('bench_pairs_seq'))
),
target AS (
  SELECT s.id, d.fee_minor, d.currency
  FROM slots AS s
  JOIN pair ON pair.slot_id = s.id
  JOIN doctors AS d ON d.user_id = s.doctor_id
  WHERE s.status = 'open' AND d.verification_status = 'verified' AND s.starts_at > now()
  FOR UPDATE OF s SKIP LOCKED
),
claimed AS (
  UPDATE slots AS s SET status = 'held', updated_at = now()
  FROM target AS t
  WHERE s.id = t.id AND s.status = 'open'
  RETURNING s.id, s.doctor_id, s.starts_at, s.ends_at, s.mode, t.fee_minor, t.currency
),
appt AS (
  INSERT INTO appointments (slot_id, doctor_id, patient_id, starts_at, ends_at, mode,
    reason, status, hold_expires_at, fee_minor, currency, created_at, updated_at)
  SELECT c.id, c.doctor_id, pair.patient_id, c.starts_at, c.ends_at, c.mode,
    NULL, 'pending_payment', now() + interval '10 minutes', c.fee_minor, c.currency, now(), now()
  FROM claimed AS c CROSS JOIN pair
  RETURNING *
),
pay AS (
  INSERT INTO payments (appointment_id, amount_minor, currency, provider, status, created_at, updated_at)
  SELECT a.id, a.fee_minor, a.currency, 'sandbox', 'created', now(), now()
  FROM appt AS a
  RETURNING *
),
audit AS (
  INSERT INTO audit_logs (occurred_at, actor_id, actor_role, action, entity, entity_id, request_id, ip, details)
  SELECT now(), a.patient_id, 'patient', 'appointment.booked', 'appointment', a.id::text,
    'bench-ceiling-db', '127.0.0.1', jsonb_build_object('slotId', a.slot_id, 'doctorId', a.doctor_id, 'status', a.status)
  FROM appt AS a
),
event AS (
  INSERT INTO outbox (topic, payload, created_at, available_at)
  SELECT 'appointment.created', jsonb_build_object('appointmentId', a.id), now(), now()
  FROM appt AS a
),
answer AS (
  INSERT INTO idempotency_keys (user_id, key, fingerprint, state, lease_token, locked_until,
    response_status, response_type, response_body, created_at)
  SELECT a.patient_id, gen_random_uuid()::text, md5(a.slot_id::text), 'completed', gen_random_uuid(), NULL,
    201, 'application/json; charset=utf-8',
    jsonb_build_object('appointment', jsonb_build_object('id', a.id, 'status', a.status, 'slotId', a.slot_id),
      'payment', (SELECT jsonb_build_object('id', p.id, 'status', p.status) FROM pay AS p))::text,
    now()
  FROM appt AS a
)
SELECT count(*) AS booked FROM appt;
