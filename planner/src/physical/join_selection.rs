//! Join selection: which input a hash join builds its table on, and whether that table
//! is broadcast to every probe task or both inputs are partitioned on the keys —
//! decided from the inputs' estimated rows and the planner's settings.
//!
//! - Inner joins build on the smaller input (the right one; the inputs are swapped when
//!   the left is smaller).
//! - A build side estimated at or below `broadcast_threshold_rows` is broadcast, for the
//!   kinds whose probe rows can be judged one partition at a time (inner, left, semi,
//!   anti, mark); NOT IN's null-aware anti join and the null-aware mark join always
//!   are, since one NULL anywhere on the build side changes every probe row's answer.
//! - A semi or anti join whose left input is small and much smaller than its right one
//!   indexes the left input instead, and the right rows mark it (without a join
//!   filter, which would need both rows at once).
//! - Everything else is partitioned on the keys.

use crate::logical::JoinKind;
use crate::physical::plan::JoinDistribution;
use crate::physical::planner::PhysicalPlannerConfig;

/// True when an equi-join's inputs should be swapped so that the smaller one is built.
pub(crate) fn swap_inputs(
    config: &PhysicalPlannerConfig,
    kind: JoinKind,
    has_keys: bool,
    left_rows: f64,
    right_rows: f64,
) -> bool {
    config.cost_based && kind == JoinKind::Inner && has_keys && left_rows < right_rows
}

/// How an equi-join of `left_rows` and `right_rows` (estimates) meets its rows.
pub(crate) fn distribution(
    config: &PhysicalPlannerConfig,
    kind: JoinKind,
    has_filter: bool,
    left_rows: f64,
    right_rows: f64,
) -> JoinDistribution {
    let threshold = config.broadcast_threshold_rows as f64;
    let broadcastable = matches!(
        kind,
        JoinKind::Inner
            | JoinKind::Left
            | JoinKind::LeftSemi
            | JoinKind::LeftAnti
            | JoinKind::LeftMark
    );
    let must_broadcast = matches!(
        kind,
        JoinKind::LeftAntiNullAware | JoinKind::LeftMarkNullAware
    );
    let build_left = config.cost_based
        && matches!(kind, JoinKind::LeftSemi | JoinKind::LeftAnti)
        && !has_filter
        && left_rows <= threshold
        && left_rows * 4.0 < right_rows;
    if build_left {
        JoinDistribution::BroadcastLeft
    } else if must_broadcast || (right_rows <= threshold && broadcastable) {
        JoinDistribution::Broadcast
    } else {
        JoinDistribution::Partitioned
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> PhysicalPlannerConfig {
        PhysicalPlannerConfig {
            target_partitions: 4,
            broadcast_threshold_rows: 1000,
            cost_based: true,
        }
    }

    #[test]
    fn the_smaller_input_is_built() {
        assert!(swap_inputs(&config(), JoinKind::Inner, true, 10.0, 100.0));
        assert!(!swap_inputs(&config(), JoinKind::Inner, true, 100.0, 10.0));
        // Only inner equi-joins may swap, and only when costs are used.
        assert!(!swap_inputs(&config(), JoinKind::Left, true, 10.0, 100.0));
        assert!(!swap_inputs(&config(), JoinKind::Inner, false, 10.0, 100.0));
        let rule_based = PhysicalPlannerConfig {
            cost_based: false,
            ..config()
        };
        assert!(!swap_inputs(
            &rule_based,
            JoinKind::Inner,
            true,
            10.0,
            100.0
        ));
    }

    #[test]
    fn small_build_sides_are_broadcast() {
        let d = |kind, filter, l, r| distribution(&config(), kind, filter, l, r);
        assert_eq!(
            d(JoinKind::Inner, false, 1e6, 1000.0),
            JoinDistribution::Broadcast
        );
        assert_eq!(
            d(JoinKind::Inner, false, 1e6, 1001.0),
            JoinDistribution::Partitioned
        );
        // RIGHT and FULL joins must see unmatched build rows once: never broadcast.
        assert_eq!(
            d(JoinKind::Full, false, 1e6, 10.0),
            JoinDistribution::Partitioned
        );
        // Null-aware joins are broadcast whatever their size.
        assert_eq!(
            d(JoinKind::LeftAntiNullAware, false, 1e6, 1e9),
            JoinDistribution::Broadcast
        );
        // A small left side of a semi join against a large right one is indexed.
        assert_eq!(
            d(JoinKind::LeftSemi, false, 100.0, 1e6),
            JoinDistribution::BroadcastLeft
        );
        assert_eq!(
            d(JoinKind::LeftSemi, true, 100.0, 1e6),
            JoinDistribution::Partitioned
        );
    }
}
