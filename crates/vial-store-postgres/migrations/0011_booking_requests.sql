-- A patient's own booking is a request (`requested`) that the front desk confirms.
ALTER TABLE appointments DROP CONSTRAINT appointments_status_check;
ALTER TABLE appointments ADD CONSTRAINT appointments_status_check
    CHECK (status IN ('requested', 'booked', 'checked_in', 'completed', 'cancelled', 'no_show'));
-- The front desk's list of open requests.
CREATE INDEX appointments_by_status ON appointments (status, start_ms);
