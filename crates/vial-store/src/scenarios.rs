//! [`scenario_tests!`](crate::scenario_tests): every slice's scenarios as tests of one backend.

/// Runs every scenario, each on a fresh store from `fresh`.
#[macro_export]
macro_rules! scenario_tests {
    ($fresh:path) => {
        $crate::scenario_tests!(@one $fresh, keys, deks_round_trip_count_and_rewrap);
        $crate::scenario_tests!(@one $fresh, keys, dek_uniqueness);
        $crate::scenario_tests!(@one $fresh, identity, users_round_trip_and_unique_email);
        $crate::scenario_tests!(@one $fresh, identity, uncommitted_work_is_rolled_back);
        $crate::scenario_tests!(@one $fresh, identity, failures_lock_the_account_with_a_doubling_back_off);
        $crate::scenario_tests!(@one $fresh, identity, credentials_are_replaced_whole);
        $crate::scenario_tests!(
            @one $fresh, identity, invitations_work_once_and_approval_is_a_state
        );
        $crate::scenario_tests!(@one $fresh, patients, care_team_members_come_and_go);
        $crate::scenario_tests!(
            @one $fresh, scheduling, appointments_overlap_and_move_through_statuses
        );
        $crate::scenario_tests!(
            @one $fresh, scheduling, requests_hold_no_time_and_list_by_status
        );
        $crate::scenario_tests!(
            @one $fresh, charting, clinical_records_sign_once_and_recall_by_lot
        );
        $crate::scenario_tests!(@one $fresh, charting, stock_is_drawn_down_never_below_zero);
        $crate::scenario_tests!(@one $fresh, consents, consent_forms_round_trip);
        $crate::scenario_tests!(@one $fresh, photos, photos_list_and_soft_delete);
        $crate::scenario_tests!(@one $fresh, audit, audit_log_reads_every_row_in_order);
        $crate::scenario_tests!(@one $fresh, audit, audit_for_patient_reads_only_that_patient);
        $crate::scenario_tests!(@one $fresh, audit, audit_append_continues_from_the_head);
        $crate::scenario_tests!(@one $fresh, vendors, vendors_are_renewed_and_ended_once);
        $crate::scenario_tests!(@one $fresh, messaging, threads_and_messages_keep_their_history);
    };
    (@one $fresh:path, $slice:ident, $name:ident) => {
        #[tokio::test]
        async fn $name() {
            let store = $fresh().await;
            $crate::$slice::scenarios::$name(&*store).await;
        }
    };
}
